# default: the bundled TTS model (pipelines/default_model, what `pipelines.synthesize("text")` speaks with):
# one voice (flite slt), phoneme input (espeak-ng IPA: words never seen in training are still pronounceable),
# the 16384 codebook, tiny codec and LM presets so that the whole model stays far below the 60 MB budget
# (~18 MB codec, decoder side in fp16 + ~18 MB LM stored in fp16) and runs faster than real time on 2 CPU threads.
# Stage 8 writes its model card and copies it to pipelines/default_model.
#
# From scratch: recipes/run.sh --preset default   (hours on a GPU, days on 2 CPU cores)
# Continuing an existing codec, decoder only (its codes, hence the LM's tokens, stay valid; docs/RESULTS.md), into a
# new --exp (over a finished codec folder of other settings the recipe stops: recipe-settings/):
#   recipes/run.sh --preset default --exp exp/default-cont --set codec_init=exp/tiny/codec/<run>/final \
#     --set codec_extra=--freeze-tokenizer --set codec_steps=2000
# All 14 985 fortunes sentences (15 h of slt); dev and test are those of the first 8000 (the earlier, 7.9 h corpus),
# so that WERs stay comparable with the earlier bundles: on 7.9 h the tiny LM overfit after ~7 epochs, on 15 h it
# did not (docs/RESULTS.md, "Twice the data for the default LM").
voices=slt corpus_utts=14985 corpus_held_out_of=8000 corpus_seed=0 dev_fraction=0.01 test_fraction=0.0125
# More LM text: WordNet's 33 413 example sentences (24.5 h of slt, none overlapping dev, test or the unseen
# sentences); the bundled LM, continued on both corpora, went from TTS WER 0.726 / 0.604 to 0.622 / 0.426
# (test / unseen; docs/RESULTS.md, "More text for the default LM"). The codec trains on the fortunes corpus alone.
corpus_extra_text=wordnet
libri_train=train-clean-100 libri_dev=dev-clean libri_test=test-clean
codec_launch="$py -m"
# The bundled codec's decoder was then trained 15 000 more steps with its tokenizer frozen (LR 1e-4, mel loss; codes
# unchanged): resynthesis WER 0.451 -> 0.358, TTS WER 0.538 -> 0.472 (docs/RESULTS.md, "The decoder trained on");
# continue a codec that way with codec_init=<codec folder> codec_extra=--freeze-tokenizer codec_steps=15000 codec_lr=1e-4
# codec_adv_start=15000 (no GAN). After 7000 more steps at LR 5e-5 it was grown from 2 to 6 transformer blocks
# (codec_extra="--freeze-tokenizer --decoder-depth 6": the new blocks start as identities) and trained 9000 steps at
# LR 1e-4: PESQ-WB 1.99 -> 2.21, TTS WER 0.472 -> 0.442 on the test split (docs/RESULTS.md, "A deeper decoder").
# No self-guidance for the bundled codec: the paper's SG loss runs away on long schedules at the tiny preset
# (docs/RESULTS.md, 2026-11-28; --sg-loss centered is the stable form, not yet measured over a whole schedule),
# and SG did not make the tokens easier for the LM (340.0 vs 339.0 bits/s).
# LR 1.5e-4 over 12 000 steps: at 3e-4 long schedules were unstable with SG; without SG this is the schedule of
# the best resynthesis measured on CPU (docs/RESULTS.md).
codec_preset=tiny codec_steps=12000 codec_batch=8 codec_segment=1.0 codec_lr=1.5e-4 codec_adv_start=12000
codec_save_every=250 codec_eval_every=2000 codec_extra="" codec_parallel=1
codec_variants=("default:16384:off:0")
claim_pairs=() claim_reference="" claim_candidate=""
eval_utts=100 asr=pocketsphinx
extract_batch=1
text_vocab=256 text_extra="--phonemes"
lm_launch="$py -m"
lm_variants=("default")
# 8192 tokens per step (~11 epochs of the 15 h corpus in 4000 steps; ~1.5 epochs of the 39.5 h in 1500): 2.5-2.9 s
# per step with bf16 autocast on 2 CPU threads with AVX512-BF16 (the bundled runs; add --mixed-precision bf16 to
# lm_extra there, float32 is x1.7 slower by benchmarks lm-train: docs/PERFORMANCE.md), so ~4 h; minutes on a GPU.
# The bundled LM was trained in pieces: on the fortunes corpus alone a 1400-step cosine, resumed with --steps 2400 to
# step 2250, then with --steps 4000 (warm restarts); then `lm.train --init` from that model for 1500 steps at LR 5e-4
# on fortunes + WordNet, resumed with --steps 3000 (a warm restart) (docs/RESULTS.md). One 7000-step cosine over both
# corpora is the plain form of it (not measured).
lm_preset=tiny lm_steps=7000 lm_batch_tokens=8192 lm_lr=1e-3 lm_seed=0
lm_extra="--warmup-steps 100 --save-every 250 --eval-every 250 --keep-last 1"
tts_seed=0
# the LM's logit projection and layers' projections in half precision at synthesis (at the batch sizes where they
# time faster, sampling.half_precision): bfloat16 made a short sentence's step x0.55 on 2 CPU threads, WER unchanged
# (docs/RESULTS.md, "The default TTS model"); float16 since 2026-12-07, packed for fbgemm on x86 CPUs (float32
# arithmetic, weights stored in float16 held exactly): on an AVX2 CPU x0.67 of float32 at one row and x0.40-0.64 at
# 2-32, where bfloat16's copies lost from 8 (docs/PERFORMANCE.md, "float16 copies packed for fbgemm")
tts_head_dtype=float16 tts_layer_dtype=float16
# sampling temperature 0.2 instead of 0.8: TTS WER 0.620 -> 0.538 on the test split, 0.399 -> 0.283 on 60 unseen
# sentences (paired, significant; 40 others: no difference), chosen on the dev split among 0 / 0.2 / 0.3 / 0.4 / 0.6 / 0.8
# (docs/RESULTS.md, "Sampling temperature 0.2")
tts_temperature=0.2
# the LM's weights stored in float16 (18 MB instead of 36; loaded as float32), and the codec's decoder side (its
# tokenizer stays float32, so the codes do not change): PESQ, STOI and mel distance equal to 3 decimals
tts_lm_dtype=float16 tts_codec_decoder_dtype=float16
bundle_install=pipelines/default_model
