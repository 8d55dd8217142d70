# run from the project root (2026-11-29, thirteenth session): the model card of the bundle, installed into pipelines/default_model
R=()
while IFS= read -r line; do R+=(--reproduce "$line"); done <<'LINES'
# The codec: the earlier bundles' (the first six runs above: the tokenizer of the tiny 16384 + SG run, frozen since,
# and a decoder trained on over its codes and grown from 2 to 6 transformer blocks), its decoder trained 6000 steps
# more (grow6-ft: LR 5e-5), then the whole codec trained with a fresh 16384 quantizer (codec.train --init-from
# <grow6-ft>/final --codebook-size 16384 --no-sg --steps 5000 --lr 1e-4, mel loss: new codes, the rest the earlier
# runs'; the 15 h fortunes corpus); its decoder side stored in float16 (pipelines.package --codec-decoder-dtype).
# docs/RESULTS.md ('The codebook trio from one intelligible ancestor', 'A deeper decoder') has the codec commands.
# The LM: the tiny preset on the 14 985 fortunes sentences (15 h, slt), 4000 steps, then continued on those plus
# 33 413 WordNet example sentences (24.5 h of slt), 3000 steps, on the earlier codec's codes; carried onto this
# codec's codes (lm.train --init <that LM> --init-new-codec: transformer and text rows kept, speech rows fresh) and
# trained 2000 steps (LR 5e-4), 600 (LR 2e-4) and 2500 more (LR 2e-4, cosine), each a new lm.train --init of the
# one before; bf16 autocast on a CPU with AVX512-BF16; sampling at temperature 0.2 (pipelines.package
# --temperature 0.2). docs/RESULTS.md ('The trio's best codec under the default LM', 2026-11-29) has the commands.
LINES
.venv/bin/python -m pipelines.model_card --model exp/default/tts/req16384on2-t0.2 --name req16384on2-t0.2 \
  --report exp/default/report-req16384-test --unseen-report exp/default/report-req16384-unseen \
  --benchmark exp/default/report-req16384-test/tts-speed-on2.jsonl --train-manifest exp/default/data/train.jsonl \
  --train-manifest exp/default/data-wn/train.jsonl=wordnet --codec-card pipelines/default_model \
  --codec-run exp/default/codec/req-16384 --lm-run exp/default/lm/big-run-4000 --lm-run exp/default/lm/wn \
  --lm-run exp/default/lm/req16384 --lm-run exp/default/lm/req16384-on --lm-run exp/default/lm/req16384-on2 \
  "${R[@]}" "$@"
