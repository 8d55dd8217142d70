# debug: the whole chain in a few minutes on 2 CPU cores (CI runs it). Nothing here learns to speak.
voices=slt,rms corpus_utts=24 corpus_seed=0 dev_fraction=0.15 test_fraction=0.15
corpus_extra_text=wordnet corpus_extra_utts=6  # 6 of WordNet's example sentences as extra LM training text
libri_train=train-clean-100 libri_dev=dev-clean libri_test=test-clean
codec_launch="$py -m"
codec_preset=debug codec_steps=20 codec_batch=4 codec_segment=0.5 codec_lr=1e-3 codec_adv_start=10
codec_save_every=10 codec_eval_every=20 codec_extra="--eval-utterances 2" codec_parallel=2
codec_variants=("256:256:off:0" "256-sg:256:on:0")
# the paper's claims: (no SG : SG) pairs, and the pair of claim 3 (reference = bigger codebook, no SG)
claim_pairs=("256:256-sg") claim_reference=256 claim_candidate=256-sg
eval_utts=4 asr=pocketsphinx
extract_batch=4
text_vocab=64 text_extra=""
lm_launch="$py -m"
lm_variants=("256" "256-sg")
# lr 1e-3 over its whole schedule (a 2-step warm-up): at 3e-3 the 20 steps collapse the LM onto one code, so that
# every seed speaks the same audio (the pipeline tests no longer assume otherwise: they sample at temperature 1)
lm_preset=debug lm_steps=20 lm_batch_tokens=1024 lm_lr=1e-3 lm_seed=0 lm_extra="--warmup-steps 2 --eval-every 10 --save-every 10"
tts_seed=0
# a sampling temperature other than the default, so CI runs the recipe's --temperature path (test_recipe)
tts_temperature=0.5
# the untrained LM never ends an utterance, so every synthesis runs to the length bound: a short one (~0.1 s per
# text token instead of the default 0.4 s) keeps CI's TTS stages short; test_recipe checks that it took effect
tts_max_frames_per_text_token=5
# the codec's decoder side stored in float16, as the default model's (test_recipe checks the stored precisions)
tts_codec_decoder_dtype=float16
unseen_utts=3  # stage 8: the model card, judged on 3 sentences outside the corpus
