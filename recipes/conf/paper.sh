# paper: the self-guidance paper's setting on XCodec2 — the xcodec2 codec size, 6 s crops, 8 GPUs with
# `accelerate launch --multi_gpu`, FSQ 65536 / 16384 / 8192 with and without SG (lambda 5 at 65536, 10 below:
# the codec's defaults), LibriSpeech (pass --librispeech DIR), phoneme input for the LM as the paper's TTS.
# It cannot run on a CPU machine. Where the paper is silent, XCodec2's public training config is followed:
# LR 1e-4 (AdamW betas 0.8/0.9), warm-up 3000 steps, decay over 400k steps (its released checkpoint: 1.4M steps).
voices=slt,rms,awb,kal16 corpus_utts=15000 corpus_seed=0 dev_fraction=0.01 test_fraction=0.01
libri_train=train-clean-100 libri_dev=dev-clean libri_test=test-clean
codec_launch="accelerate launch --multi_gpu --num_processes 8 -m"
codec_preset=xcodec2 codec_steps=400000 codec_batch=8 codec_segment=6.0 codec_lr=1e-4 codec_adv_start=0
codec_save_every=5000 codec_eval_every=10000 codec_extra="--warmup-steps 3000" codec_parallel=1
codec_variants=("65536:65536:off:0" "65536-sg:65536:on:0" "16384:16384:off:0" "16384-sg:16384:on:0"
                "8192:8192:off:0" "8192-sg:8192:on:0")
# the paper's claims: (no SG : SG) pairs, and the pair of claim 3 (reference = bigger codebook, no SG)
claim_pairs=("65536:65536-sg" "16384:16384-sg" "8192:8192-sg") claim_reference=65536 claim_candidate=16384-sg
eval_utts=1000 asr=pocketsphinx
extract_batch=64
text_vocab=512 text_extra="--phonemes"
lm_launch="accelerate launch --multi_gpu --num_processes 8 -m"
lm_variants=("65536" "16384" "16384-sg")
lm_preset=1b lm_steps=100000 lm_batch_tokens=262144 lm_lr=2e-4 lm_seed=0 lm_extra=""
tts_seed=0
