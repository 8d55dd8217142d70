# tiny: CPU runs of hours, resumed in pieces (re-run the same command: every stage skips or resumes).
# Codecs train mel + SG only (adv-start = steps): on CPU the discriminators are ~80% of a GAN step's FLOPs
# (docs/PERFORMANCE.md). Budget: 0.61 s/step at batch 8 x 1 s with SG on 2 quiet cores (measured 2026-11-21)
# -> ~0.5-1 h per codec variant at 3000 steps (1.1 s/step on the slower 2026-11-27 VM), ~5-9 h for the 9
# variants (codec_parallel=1 with 2 threads is as fast on 2 cores as several variants side by side with one
# thread each).
# SG weight 5 for every size (the paper: 5 at 65536, 10 below): at 1800 steps two of five runs at the paper's 10
# blew up after the SG loss had risen for ~700 steps, and on the seed that blew up 5 stayed stable (docs/RESULTS.md).
# Stable runs level off near an SG loss of 0.02-0.03; one that keeps rising is heading for a blow-up.
# 3000 steps, not 12 000: with a 12 000-step cosine the LR stays near 3e-4 for thousands of steps, and the 16384 + SG
# run (λ 5, seed 0) blew up at step ~2300 (SG loss 0.03 -> 0.15 over steps 1000-2500, mel 4.05 -> 5.8, gradient
# norm 90 -> 640), where the same run under the 3000-step cosine (LR 1.0e-4 at step 2000) stayed at SG 0.03
# (docs/RESULTS.md, 2026-11-27). 3000 steps is the schedule behind every committed tiny table; longer schedules
# need more than a lower peak LR: at 1.5e-4 the SG loss kept creeping (0.04 -> 0.07 over steps 2250-3000). The cause
# (docs/RESULTS.md, 2026-11-28): SG at the last block grows a frame-constant offset in the decoder's residual
# stream (eval/hidden_energy multiplies) until it swamps the signal; a decaying LR stops it in time. The cause is
# the stop-gradient's drift on weights that shift student and teacher alike; --sg-loss centered removes it
# (controlled 750-step test, docs/RESULTS.md): --set codec_extra="--sg-loss centered" for longer schedules.
# lr 3e-4: at 1e-3 the FSQ latent collapsed within ~20 steps (quantization error -> 0, one code in use, mel stuck
# near 10), at 3e-4 it stayed spread (QE ~0.26) and mel fell to 7.6 by step 100 (probes of 150 steps, 2026-11-21).
# Without the GAN a short run's ISTFT head outputs a 50 Hz comb (it repeats every 20 ms frame) instead of the
# speaker's pitch; --phase-weight 20 removes it (3000 steps: PESQ-WB +0.07, pitch error halved) but not the
# unintelligibility, which scripts/phase_oracle.py traces to the predicted magnitudes (docs/RESULTS.md). To try it
# on every variant: --set codec_extra="--phase-weight 20" (not the default: WER did not improve, and XCodec2 has
# no such loss).
# The GAN is off on CPU for a measured reason too: 750 GAN steps resumed from the 16384+SG run at 3000 cut the comb
# and raised F0 correlation but gave the same WER as 750 mel+SG steps (0.744 vs 0.740) at 5x the step time (docs/RESULTS.md).
# The codebook comparison of the paper at a size two CPU cores can train: 65536 / 16384 / 4096, without and
# with self-guidance, identical seed, data and steps; the key pair (16384 +/- SG) also with a second seed.
voices=slt,rms,awb,kal16 corpus_utts=4000 corpus_seed=0 dev_fraction=0.02 test_fraction=0.025
libri_train=train-clean-100 libri_dev=dev-clean libri_test=test-clean
codec_launch="$py -m"
codec_preset=tiny codec_steps=3000 codec_batch=8 codec_segment=1.0 codec_lr=3e-4 codec_adv_start=3000
codec_save_every=500 codec_eval_every=500 codec_extra="" codec_parallel=1
codec_variants=("16384:16384:off:0" "16384-sg:16384:on:0:--sg-weight 5" "16384-s1:16384:off:1"
                "16384-sg-s1:16384:on:1:--sg-weight 5" "65536:65536:off:0" "65536-sg:65536:on:0:--sg-weight 5"
                "4096:4096:off:0" "4096-sg:4096:on:0:--sg-weight 5"
                "16384-sg-decoder:16384:on:0:--sg-weight 5 --no-sg-encoder-grad")  # ablation: SG trains the decoder only
# the paper's claims: (no SG : SG) pairs, and the pair of claim 3 (reference = bigger codebook, no SG)
claim_pairs=("65536:65536-sg" "16384:16384-sg" "4096:4096-sg" "16384-s1:16384-sg-s1") claim_reference=65536 claim_candidate=16384-sg
eval_utts=100 asr=pocketsphinx
# batch 1: on 2 CPU threads batching only adds padding and cache misses (dev split, 80 utterances: 22.7 s at batch 1
# against 26.7 s at 16, identical codes; 2026-11-27); the 3.95 h training split takes ~10 min per codec.
extract_batch=1
text_vocab=256 text_extra=""
lm_launch="$py -m"
lm_variants=("65536" "16384" "16384-sg")
# 2048 row tokens per step (2 rows of 1024): the tiny LM's step on 2 threads took 6.1 s with the 65536 codebook
# (its tied 65 797 x 256 embedding is 17 of its 21.6 M parameters); the 16384 LMs (9.0 M) took 6.5-7 s on one
# thread beside it (2026-11-27). 3000 steps (6.1 M tokens, ~7 epochs of the 4000-utterance corpus) are then
# ~5 h for the 65536 LM and ~2.5-3 h for each 16384 LM. The committed
# comparison (docs/RESULTS.md) ran --set lm_steps=400 with lm_extra="--warmup-steps 20 --eval-every 100
# --save-every 100" (one 3-hour session for all three).
lm_preset=tiny lm_steps=3000 lm_batch_tokens=2048 lm_lr=1e-3 lm_seed=0 lm_extra=""
tts_seed=0
