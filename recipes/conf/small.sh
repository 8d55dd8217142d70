# small: one GPU (bf16 via Accelerate); the same comparison as tiny with the `small` codec and LM.
voices=slt,rms,awb,kal16,espeak:en-us,espeak:en-us+f3 corpus_utts=15000 corpus_seed=0 dev_fraction=0.01 test_fraction=0.01
libri_train=train-clean-100 libri_dev=dev-clean libri_test=test-clean
codec_launch="accelerate launch -m"
codec_preset=small codec_steps=20000 codec_batch=16 codec_segment=2.0 codec_lr=2e-4 codec_adv_start=2000
codec_save_every=1000 codec_eval_every=2000 codec_extra="" codec_parallel=4
codec_variants=("65536:65536:off:0" "65536-sg:65536:on:0" "16384:16384:off:0" "16384-sg:16384:on:0"
                "4096:4096:off:0" "4096-sg:4096:on:0" "16384-s1:16384:off:1" "16384-sg-s1:16384:on:1"
                "16384-sg-decoder:16384:on:0:--no-sg-encoder-grad")  # ablation: SG trains the decoder only
# the paper's claims: (no SG : SG) pairs, and the pair of claim 3 (reference = bigger codebook, no SG)
claim_pairs=("65536:65536-sg" "16384:16384-sg" "4096:4096-sg" "16384-s1:16384-sg-s1") claim_reference=65536 claim_candidate=16384-sg
eval_utts=150 asr=pocketsphinx
extract_batch=64
text_vocab=512 text_extra=""
lm_launch="accelerate launch -m"
lm_variants=("65536" "16384" "16384-sg")
lm_preset=small lm_steps=20000 lm_batch_tokens=65536 lm_lr=5e-4 lm_seed=0 lm_extra=""
tts_seed=0
