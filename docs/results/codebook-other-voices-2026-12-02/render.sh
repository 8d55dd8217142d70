# run from the project root (2026-12-02, twentieth session): the 100 test sentences of the default corpus
# (exp/default/data/test.jsonl, spoken there by slt, the only voice the fine-tuned family trained on) spoken by three
# other flite voices, one voice per sentence drawn by seed 0: 30 awb (Scottish English, male), 29 rms (US English,
# male), 41 kal16 (US English, male, a diphone voice) — a test set outside the training voice (9 s on 1 core)
mkdir -p exp/default/othervoices
.venv/bin/python -c "
import json
with open('exp/default/othervoices/sentences.txt', 'w') as f:
    for line in open('exp/default/data/test.jsonl'):
        f.write(json.loads(line)['text'].replace('\n', ' ') + '\n')
"
.venv/bin/python -m pipelines.corpus synth --out exp/default/othervoices/data --voices rms,awb,kal16 \
  --text exp/default/othervoices/sentences.txt --seed 0 --dev-fraction 0 --test-fraction 1 --workers 1
