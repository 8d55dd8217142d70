# run from the project root (2026-11-29, tenth session): the model card of the bundle, installed into pipelines/default_model
R=()
while IFS= read -r line; do R+=(--reproduce "$line"); done <<'LINES'
# The codec: the earlier bundles' (the first three runs above), then its decoder trained on with the tokenizer frozen
# (codes, and so the LM's tokens, unchanged; mel loss only; the 15 h fortunes corpus): 15 000 steps at LR 1e-4
# (3000, resumed with --steps 15000), 7000 more at LR 5e-5, then grown from 2 to 6 transformer blocks
# (codec.train --init-from <that codec> --freeze-tokenizer --decoder-depth 6: the new blocks start as identities)
# and trained 9000 steps at LR 1e-4; its decoder side stored in float16 (pipelines.package --codec-decoder-dtype).
# The LM: the tiny preset on all 14 985 fortunes sentences (15 h, slt), 4000 steps in three resumed pieces, then
# continued (lm.train --init) on those plus 33 413 WordNet example sentences (24.5 h of slt): 1500 steps (LR 5e-4,
# cosine), resumed with --steps 3000; bf16 autocast on a CPU with AVX512-BF16; sampling at temperature 0.2
# (pipelines.package --temperature 0.2). docs/RESULTS.md ('A deeper decoder', 'The decoder trained on', 'Sampling
# temperature 0.2', 'More text for the default LM'), 2026-11-28/29, has the commands. recipes/run.sh --preset
# default runs the same data as one codec and one 7000-step LM schedule (not measured).
LINES
.venv/bin/python -m pipelines.model_card --model exp/default/tts/wn3000-t0.2-grow6-f16 --name wn3000-t0.2-grow6-f16 \
  --report exp/default/report-grow6-test --unseen-report exp/default/report-grow6-unseen \
  --benchmark exp/default/report-grow6-test/tts-speed-f16.jsonl --train-manifest exp/default/data/train.jsonl \
  --train-manifest exp/default/data-wn/train.jsonl=wordnet --codec-card pipelines/default_model \
  --codec-run exp/default/codec/grow6 --lm-run exp/default/lm/big-run-4000 --lm-run exp/default/lm/wn \
  "${R[@]}" --install pipelines/default_model
