#!/usr/bin/env bash
# Stage-by-stage recipe from corpus to comparison report (ESPnet / CosyVoice style).
#
#   recipes/run.sh --preset debug|tiny|small|paper|default [--stage N] [--stop-stage M] [--librispeech DIR] [--exp DIR]
#                  [--set KEY=VALUE ...]   (override a scalar setting of the preset, e.g. --set codec_steps=3000)
#
# Stages: 0 corpus (synthetic, or LibriSpeech with --librispeech DIR)   1 codec training, every variant
#         2 codec evaluation   3 token extraction   4 text tokenizer   5 LM training per codec + TTS packaging
#         6 TTS evaluation, and each LM's bits per second of audio on the test split (lm.score)
#         7 comparison report (exp/<preset>/report/report.md) and the paper's codec claims checked on it
#         (exp/<preset>/report/claims/claims.md; pipelines/claims.py)
#         8 model card of one TTS model (bundle_variant): TTS WER on sentences outside the corpus beside their
#         ground truth (recipes/data/unseen_sentences.txt), real-time factor on 2 CPU threads, size budget;
#         README.md + card.json in exp/<preset>/tts/<variant> (pipelines/model_card.py), copied to
#         bundle_install when set (the default preset: pipelines/default_model)
# Every stage skips what is already done; interrupted training resumes from its last checkpoint. The corpus,
# codec, tokenizer and LM stages record the settings they ran with (exp/<preset>/recipe-settings/): a rerun with
# other settings over their existing outputs is refused, with the difference, instead of skipping to stale outputs.
# Settings per preset: recipes/conf/<preset>.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
preset=debug stage=0 stop_stage=8 librispeech="" exp="" overrides=()
while [ $# -gt 0 ]; do
  case "$1" in  # an option's value missing at the end of the line: say which (set -u would say "unbound variable")
    --preset|--stage|--stop-stage|--librispeech|--exp|--set)
      [ $# -ge 2 ] || { echo "recipes/run.sh: $1 needs a value (see --help)" >&2; exit 2; } ;;&
    --preset) preset=$2; shift 2 ;;
    --stage) stage=$2; shift 2 ;;
    --stop-stage) stop_stage=$2; shift 2 ;;
    --librispeech) librispeech=$2; shift 2 ;;
    --exp) exp=$2; shift 2 ;;
    --set) overrides+=("$2"); shift 2 ;;
    -h|--help) sed -n 2,19p "$0"; exit 0 ;;
    *) echo "recipes/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
for n in "$stage" "$stop_stage"; do  # a word that is not a number would skip every stage and report success
  [[ $n =~ ^[0-9]+$ ]] || { echo "recipes/run.sh: --stage and --stop-stage take a stage number, not '$n'" >&2; exit 2; }
done
conf="$here/conf/$preset.sh"
[ -f "$conf" ] || { echo "recipes/run.sh: no preset '$preset' (expected $conf)" >&2; exit 2; }
py="${PYTHON:-$root/.venv/bin/python}"
[ -x "$py" ] || py=python3
# settings every preset may leave out: codec_init, a codec folder to continue from (codec.train --init-from: the
# codec's own architecture, fresh optimizers); bundle_variant, the TTS model of stage 8 (default: the first LM
# variant); bundle_install, where stage 8 copies it (empty: nowhere; a relative path is under the repository's
# root, as the default preset's pipelines/default_model); unseen_utts, how many unseen sentences;
# tts_head_dtype, the precision of each TTS pipeline's logit projection (pipelines.package --head-dtype);
# tts_layer_dtype, that of its LM layers' projections (--layer-dtype); tts_lm_dtype, the precision its LM weights
# are stored in (--lm-dtype); tts_codec_decoder_dtype, that of its codec's decoder side (--codec-decoder-dtype);
# tts_temperature, its sampling temperature (--temperature; empty: the sampling default);
# tts_max_frames_per_text_token, its length bound per text token (--max-frames-per-text-token; empty: the default)
# corpus_held_out_of, N: dev and test as in the corpus of the first N sentences, the rest to train (a grown corpus
# keeps its held-out sets: pipelines.corpus --held-out-of)
# corpus_extra_text, "wordnet": more training text for the LMs (synthetic corpora only): WordNet's example sentences
# (pipelines.corpus wordnet-text; none that overlaps dev, test or the unseen sentences), rendered with the same
# voices into $exp/data-extra, tokenized into tokens/<variant>/train-extra and trained on beside train;
# corpus_extra_utts, N: only N of its sentences (empty: all)
codec_init="" bundle_variant="" bundle_install="" unseen_utts=40 tts_head_dtype=float32 tts_layer_dtype=float32
tts_lm_dtype=float32 tts_codec_decoder_dtype=float32 tts_temperature="" tts_max_frames_per_text_token=""
corpus_held_out_of="" corpus_extra_text="" corpus_extra_utts=""
# shellcheck source=conf/debug.sh
source "$conf"
for kv in "${overrides[@]}"; do
  key=${kv%%=*}
  [[ $kv == *=* ]] || { echo "recipes/run.sh: --set $kv: expected KEY=VALUE" >&2; exit 2; }
  # the script's own variables are not settings (--set preset=tiny would name debug's settings tiny)
  case " here root preset stage stop_stage librispeech exp overrides conf py n kv key " in
    *" $key "*) echo "recipes/run.sh: --set $kv: '$key' is not a setting of the preset (see --help)" >&2; exit 2 ;;
  esac
  case "$(declare -p "$key" 2>/dev/null)" in
    "declare -- "*) printf -v "$key" '%s' "${kv#*=}" ;;
    "declare -a "*|"declare -A "*) echo "recipes/run.sh: --set $kv: '$key' is a list; edit $conf instead" >&2; exit 2 ;;
    *) echo "recipes/run.sh: --set $kv: preset '$preset' has no setting '$key'" >&2; exit 2 ;;
  esac
done
# the launch prefixes as words ("$py -m", "accelerate launch ... -m"): $py stays one word, spaces in its path and all
split_launch() {
  local -n words=$1
  local rest=$2 more
  words=()
  if [[ $rest == "$py "* ]]; then words=("$py"); rest=${rest#"$py "}; fi
  read -ra more <<<"$rest"
  words+=("${more[@]}")
}
split_launch codec_cmd "$codec_launch"; split_launch lm_cmd "$lm_launch"
[[ $codec_parallel =~ ^[1-9][0-9]*$ ]] \
  || { echo "recipes/run.sh: codec_parallel=$codec_parallel: the variants trained at once, a whole number >= 1" >&2; exit 2; }
exp="${exp:-$root/exp/$preset}"
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$exp"
exp="$(cd "$exp" && pwd)"  # absolute: the settings records name paths under it, however --exp was spelled
data="$exp/data"
log() { echo "[recipe $preset] $*" >&2; }
run_stage() { [ "$stage" -le "$1" ] && [ "$stop_stage" -ge "$1" ]; }
# record_settings KEY OUTPUT SETTING...: the settings OUTPUT is made with, in recipe-settings/KEY: one option with
# its values per line, paths under the experiment as <exp>/ (a moved exp/ keeps its records), the options that do
# not change the result (--save-every, --eval-every, --keep-last, --resume) left out, and for each `after=KEY` word
# a digest of that earlier stage's record (a codec made from another corpus is not the same codec). Where OUTPUT
# exists (finished or interrupted) and was made with other settings, the run stops here with the difference:
# skipping would keep outputs these settings did not make, resuming would mix two settings in one run. Outputs
# made before these records existed are accepted unchecked.
record_settings() {
  local key=$1 output=$2 record="$exp/recipe-settings/$1" want="" line="" word upstream
  shift 2
  for word in "$@"; do
    if [[ $word == after=* ]]; then
      upstream="$exp/recipe-settings/${word#after=}"
      want+="after ${word#after=}: $( [ -f "$upstream" ] && sha256sum <"$upstream" | cut -c1-16 || echo none)"$'\n'
      continue
    fi
    word=${word//"$exp"/<exp>}
    if [[ $word == --* ]]; then
      [ -z "$line" ] || want+="$line"$'\n'
      line=$word
    elif [ -n "$line" ]; then
      line+=" $word"
    else
      want+="$word"$'\n'
    fi
  done
  [ -z "$line" ] || want+="$line"$'\n'
  want=$(printf '%s' "$want" | grep -v -E '^--(save-every|eval-every|keep-last|resume)( |$)' || true)
  if [ -e "$output" ]; then
    [ -f "$record" ] || return 0
    if [ "$(cat "$record")" != "$want" ]; then
      log "$output was made with other settings than this run's (< then, > now):"
      diff "$record" <(printf '%s\n' "$want") | grep '^[<>]' | sed 's/^/    /' >&2 || true
      log "remove $output (and what later stages made from it) to make it anew with these settings, or give another --exp"
      exit 2
    fi
  fi
  mkdir -p "$exp/recipe-settings"
  printf '%s\n' "$want" >"$record"
}

# variants: "name:codebook_size:sg(on|off):seed[:extra codec.train flags]" (conf), e.g. "16384-sg:16384:on:0"
variant_names=()
for v in "${codec_variants[@]}"; do variant_names+=("${v%%:*}"); done

# a later stage of a LibriSpeech run started without --librispeech: the corpus is the one stage 0 recorded (taken for
# a synthetic one, its extra LM text would be looked for and stage 8's card would not name the corpus)
# a later stage given --librispeech: it must be the corpus stage 0 recorded (stage 8's card names it as the data)
if ! run_stage 0 && [ -f "$exp/recipe-settings/corpus" ]; then
  recorded_kind=$(sed -n 1p "$exp/recipe-settings/corpus")
  recorded=$(sed -n 2p "$exp/recipe-settings/corpus"); recorded=${recorded//<exp>/$exp}
  if [ -z "$librispeech" ] && [ "$recorded_kind" = librispeech ]; then
    librispeech=$recorded
    log "the corpus of $exp is LibriSpeech from $librispeech (recipe-settings/corpus)"
  elif [ -n "$librispeech" ] && [ "$recorded_kind" != librispeech ]; then
    log "--librispeech $librispeech: the corpus of $exp is $recorded_kind (recipe-settings/corpus); its later stages" \
      "take no --librispeech"
    exit 2
  elif [ -n "$librispeech" ]; then
    # the same folder however it is reached (a symlink, a relative path); a folder no longer there by its own name
    real() { (cd "$1" 2>/dev/null && pwd -P) || printf 'missing:%s' "$1"; }
    if [ "$(real "$librispeech")" != "$(real "$recorded")" ]; then
      log "--librispeech $librispeech: the corpus of $exp was built from LibriSpeech in $recorded" \
        "(recipe-settings/corpus); give that folder, or no --librispeech, for its later stages"
      exit 2
    fi
  fi
fi

if run_stage 0; then
  if [ -n "$librispeech" ]; then
    [ -d "$librispeech" ] || { log "--librispeech $librispeech: no such folder"; exit 2; }
    for subset in ${libri_train//,/ }; do  # held-out utterances trained on would make every evaluation meaningless
      [[ ",$libri_dev,$libri_test," != *",$subset,"* ]] \
        || { log "LibriSpeech subset $subset is in libri_train and in libri_dev or libri_test: give them apart"; exit 2; }
    done
    record_settings corpus "$data" librispeech "$(cd "$librispeech" && pwd)" "$libri_train" "$libri_dev" "$libri_test"
  else
    record_settings corpus "$data" synthetic "voices=$voices" "utterances=$corpus_utts" "seed=$corpus_seed" \
      "dev_fraction=$dev_fraction" "test_fraction=$test_fraction" "held_out_of=$corpus_held_out_of"
  fi
  if [ -f "$data/test.jsonl" ]; then
    log "stage 0: corpus exists in $data"
  elif [ -n "$librispeech" ]; then
    log "stage 0: LibriSpeech manifests from $librispeech"
    "$py" -m pipelines.corpus librispeech --root "$librispeech" --subsets "$libri_train,$libri_dev,$libri_test" --out "$data"
    # each split a link to its subset's manifest (none where the subset is called so: a link to itself would replace
    # the manifest), or several subsets (libri_train=train-clean-100,train-clean-360) joined; test last
    for split in train dev test; do
      subsets=libri_$split
      if [[ ${!subsets} == *,* ]]; then
        for subset in ${!subsets//,/ }; do cat "$data/$subset.jsonl"; done >"$data/$split.jsonl.part"
        mv "$data/$split.jsonl.part" "$data/$split.jsonl"
      elif [ "${!subsets}" != "$split" ]; then
        ln -sf "${!subsets}.jsonl" "$data/$split.jsonl"
      fi
    done
  else
    log "stage 0: rendering $corpus_utts utterances with voices $voices"
    "$py" -m pipelines.corpus synth --out "$data" --voices "$voices" --max-utts "$corpus_utts" --seed "$corpus_seed" \
      --dev-fraction "$dev_fraction" --test-fraction "$test_fraction" ${corpus_held_out_of:+--held-out-of "$corpus_held_out_of"}
  fi
  log "stage 0: manifests in $data"
  if [ -n "$corpus_extra_text" ] && [ -n "$librispeech" ]; then
    log "stage 0: corpus_extra_text=$corpus_extra_text is for synthetic corpora: not used with LibriSpeech"
  elif [ -n "$corpus_extra_text" ] && record_settings corpus-extra "$exp/data-extra" "text=$corpus_extra_text" \
         "utterances=$corpus_extra_utts" after=corpus && [ ! -f "$exp/data-extra/train.jsonl" ]; then
    log "stage 0: extra LM training text ($corpus_extra_text) -> $exp/data-extra"
    "$py" -m pipelines.corpus "$corpus_extra_text-text" --out "$exp/data-extra/text.txt" --known "$data/train.jsonl" \
      --held-out "$data/dev.jsonl" "$data/test.jsonl" "$root"/recipes/data/unseen_sentences*.txt
    "$py" -m pipelines.corpus synth --out "$exp/data-extra" --voices "$voices" --text "$exp/data-extra/text.txt" \
      --seed "$corpus_seed" --dev-fraction 0 --test-fraction 0 ${corpus_extra_utts:+--max-utts "$corpus_extra_utts"}
  fi
fi
extra_lm_data=""  # the extra training text's manifest, when the corpus has one
[ -n "$corpus_extra_text" ] && [ -z "$librispeech" ] && extra_lm_data="$exp/data-extra/train.jsonl"

if run_stage 1; then
  # codec_parallel > 1 trains that many variants at once, each logging to <variant>/train.log (several small runs
  # share one GPU better than one does). Each gets its share of the cores as OMP_NUM_THREADS (unless set already):
  # torch starts a thread per core in every process, and two processes' spinning threads on the same cores stall
  # each other (the debug recipe's two codecs on 2 cores: 72-101 s with 2 threads each, 9 s with one)
  cores=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
  parallel_threads=${OMP_NUM_THREADS:-$(( cores > codec_parallel ? cores / codec_parallel : 1 ))}
  launched=()
  # two passes: every variant's settings are checked before any trains (a refusal must not leave the variants
  # launched before it training in the background)
  for pass in check train; do
    for v in "${codec_variants[@]}"; do
      IFS=: read -r name codebook sg seed extra <<<"$v"
      out="$exp/codec/$name"
      architecture=(--preset "$codec_preset" --codebook-size "$codebook")
      [ -z "$codec_init" ] || architecture=(--init-from "$codec_init")
      # shellcheck disable=SC2206
      train=(codec.train "${architecture[@]}"
             --"$( [ "$sg" = on ] && echo sg || echo no-sg )" --seed "$seed" --train-manifest "$data/train.jsonl"
             --dev-manifest "$data/dev.jsonl" --out "$out" --steps "$codec_steps" --batch-size "$codec_batch"
             --segment-seconds "$codec_segment" --lr "$codec_lr" --adv-start-step "$codec_adv_start" $codec_extra $extra)
      if [ "$pass" = check ]; then record_settings "codec-$name" "$out" "${train[@]}" after=corpus; continue; fi
      if [ -f "$out/final/config.json" ]; then log "stage 1: codec $name done ($out/final)"; continue; fi
      cmd=("${codec_cmd[@]}" "${train[@]}" --save-every "$codec_save_every" --eval-every "$codec_eval_every" --resume)
      if [ "$codec_parallel" -le 1 ]; then
        log "stage 1: training codec $name (codebook $codebook, SG $sg, seed $seed) -> $out"
        "${cmd[@]}"
        continue
      fi
      while [ "$(jobs -rp | wc -l)" -ge "$codec_parallel" ]; do sleep 2; done
      mkdir -p "$out" && rm -f "$out/train.rc"
      log "stage 1: training codec $name (codebook $codebook, SG $sg, seed $seed) -> $out (log: $out/train.log)"
      # set +e: under the inherited -e a failure would end the subshell before its exit status is written
      ( set +e; OMP_NUM_THREADS=$parallel_threads "${cmd[@]}" >"$out/train.log" 2>&1; echo $? >"$out/train.rc" ) &
      launched+=("$name")
    done
  done
  wait
  for name in "${launched[@]}"; do
    rc=$(cat "$exp/codec/$name/train.rc" 2>/dev/null || echo missing)
    [ "$rc" = 0 ] || { log "stage 1: codec $name failed (exit $rc): see $exp/codec/$name/train.log"; exit 1; }
  done
fi

codec_args=()
for name in "${variant_names[@]}"; do codec_args+=(--codec "$name=$exp/codec/$name/final"); done

if run_stage 2; then
  log "stage 2: codec evaluation on up to $eval_utts test utterances -> $exp/report"
  # --unquantized: each codec also decoded from its continuous latent z_e, the rounding-free bound that tells
  # whether the codebook or the rest of the codec limits fidelity
  "$py" -m pipelines.evaluate compare "${codec_args[@]}" --manifest "$data/test.jsonl" --max-utts "$eval_utts" \
    --out "$exp/report" --asr "$asr" --unquantized
fi

if run_stage 3; then
  for name in "${lm_variants[@]}"; do
    for split in train dev test; do  # test: the held-out bits per second of stage 6
      out="$exp/tokens/$name/$split"
      log "stage 3: tokens of $split with codec $name -> $out"
      "$py" -m lm.extract --codec "$exp/codec/$name/final" --manifest "$data/$split.jsonl" --out "$out" \
        --batch-size "$extract_batch"
    done
    if [ -n "$extra_lm_data" ]; then
      log "stage 3: tokens of the extra training text with codec $name -> $exp/tokens/$name/train-extra"
      "$py" -m lm.extract --codec "$exp/codec/$name/final" --manifest "$extra_lm_data" \
        --out "$exp/tokens/$name/train-extra" --batch-size "$extract_batch"
    fi
  done
fi

if run_stage 4; then
  record_settings text-tokenizer "$exp/text_tokenizer" "manifest=$data/train.jsonl" "vocab_size=$text_vocab" \
    "extra=$text_extra" after=corpus
  if [ -f "$exp/text_tokenizer/tokenizer.model" ]; then
    log "stage 4: text tokenizer exists ($exp/text_tokenizer)"
  else
    log "stage 4: text tokenizer from the training transcripts -> $exp/text_tokenizer"
    # shellcheck disable=SC2086
    "$py" -m lm.text --manifest "$data/train.jsonl" --out "$exp/text_tokenizer" --vocab-size "$text_vocab" $text_extra
  fi
fi

if run_stage 5; then
  for name in "${lm_variants[@]}"; do
    out="$exp/lm/$name"
    # shellcheck disable=SC2206
    train=(lm.train --preset "$lm_preset" --tokens "$exp/tokens/$name/train${extra_lm_data:+,$exp/tokens/$name/train-extra}"
           --dev-tokens "$exp/tokens/$name/dev" --tokenizer "$exp/text_tokenizer" --out "$out" --steps "$lm_steps"
           --batch-tokens "$lm_batch_tokens" --lr "$lm_lr" --seed "$lm_seed" $lm_extra)
    record_settings "lm-$name" "$out" "${train[@]}" after="codec-$name" after=text-tokenizer \
      ${extra_lm_data:+after=corpus-extra}
    if [ -f "$out/final/config.json" ]; then
      log "stage 5: LM $name done ($out/final)"
    else
      log "stage 5: training LM on codec $name tokens -> $out"
      "${lm_cmd[@]}" "${train[@]}" --resume
    fi
    package=(pipelines.package --codec "$exp/codec/$name/final" --lm "$out/final" --out "$exp/tts/$name"
             --head-dtype "$tts_head_dtype" --layer-dtype "$tts_layer_dtype" --lm-dtype "$tts_lm_dtype"
             --codec-decoder-dtype "$tts_codec_decoder_dtype" ${tts_temperature:+--temperature "$tts_temperature"}
             ${tts_max_frames_per_text_token:+--max-frames-per-text-token "$tts_max_frames_per_text_token"})
    record_settings "tts-$name" "$exp/tts/$name" "${package[@]}" after="lm-$name"
    # packaged after its LM and codec were last written: done (packaging anew would drop stage 8's card and make
    # stage 6 measure the same model again)
    if [ "$exp/tts/$name/pipeline.json" -nt "$out/final/model.safetensors" ] \
       && [ "$exp/tts/$name/pipeline.json" -nt "$exp/codec/$name/final/model.safetensors" ]; then
      log "stage 5: TTS $name packaged ($exp/tts/$name)"
    else
      "$py" -m "${package[@]}"
    fi
  done
fi

tts_args=()
for name in "${lm_variants[@]}"; do tts_args+=(--tts "$name=$exp/tts/$name"); done

if run_stage 6; then
  log "stage 6: TTS evaluation on up to $eval_utts test sentences -> $exp/report"
  "$py" -m pipelines.evaluate compare "${tts_args[@]}" --manifest "$data/test.jsonl" --max-utts "$eval_utts" \
    --out "$exp/report" --asr "$asr" --seed "$tts_seed"
  # how well each LM predicts the test split's tokens, in bits per second of audio (comparable across codebooks),
  # beside each codec's unigram floor (its training split's code frequencies, no context)
  score_args=()
  for name in "${lm_variants[@]}"; do
    score_args+=(--lm "$name=$exp/lm/$name/final:$exp/tokens/$name/test"
                 --unigram "$name unigram=$exp/tokens/$name/train:$exp/tokens/$name/test")
  done
  "$py" -m lm.score "${score_args[@]}" --reference "${lm_variants[0]}" --out "$exp/report/lm_score"
  log "LM bits per second on the test split: $exp/report/lm_score/summary.md"
fi

if run_stage 7; then
  log "stage 7: comparison report"
  "$py" -m pipelines.evaluate compare "${codec_args[@]}" "${tts_args[@]}" --manifest "$data/test.jsonl" \
    --max-utts "$eval_utts" --out "$exp/report" --asr "$asr" --seed "$tts_seed" --unquantized
  log "report: $exp/report/report.md"
  if [ ${#claim_pairs[@]} -gt 0 ]; then
    pair_args=()
    for p in "${claim_pairs[@]}"; do pair_args+=(--pair "$p"); done
    "$py" -m pipelines.claims --report "$exp/report" --runs "$exp/codec" "${pair_args[@]}" \
      --reference "$claim_reference" --candidate "$claim_candidate" --out "$exp/report/claims" >/dev/null
    log "the paper's claims, checked: $exp/report/claims/claims.md"
  fi
fi

if run_stage 8; then
  name=${bundle_variant:-${lm_variants[0]}}
  model="$exp/tts/$name"
  log "stage 8: model card of TTS model $name -> $model/README.md"
  # sentences of ordinary English outside the corpus, spoken by the synthesizer of the training data's first
  # voice for a ground-truth row (the judge's own error on them)
  # made anew when unseen_utts or the voice changed (its renders are kept; the manifest, and with it the judgement
  # cached beside it, only changes with its sentences)
  unseen="utterances=$unseen_utts voice=${voices%%,*}"
  if [ ! -f "$exp/unseen/test.jsonl" ] || [ "$(cat "$exp/recipe-settings/unseen" 2>/dev/null)" != "$unseen" ]; then
    "$py" -m pipelines.corpus synth --out "$exp/unseen" --voices "${voices%%,*}" --max-utts "$unseen_utts" \
      --text "$root/recipes/data/unseen_sentences.txt" --dev-fraction 0 --test-fraction 1 --seed 0 --replace-held-out
    mkdir -p "$exp/recipe-settings" && printf '%s\n' "$unseen" >"$exp/recipe-settings/unseen"
  fi
  "$py" -m pipelines.evaluate compare --tts "$name=$model" --manifest "$exp/unseen/test.jsonl" \
    --out "$exp/report-unseen" --asr "$asr" --seed "$tts_seed"
  if "$py" -c 'import sys; from pathlib import Path; from pipelines.model_card import ModelCardError, speed_summary
try: speed_summary(Path(sys.argv[1]), Path(sys.argv[2]))
except ModelCardError: sys.exit(1)' "$exp/report/tts-speed.jsonl" "$model" 2>/dev/null; then
    log "stage 8: speed of these model files already measured ($exp/report/tts-speed.jsonl)"
  else
    "$py" -m benchmarks tts --device cpu --threads 2 --pipeline "$model" --natural --out "$exp/report/tts-speed.jsonl"
  fi
  reproduce="recipes/run.sh --preset $preset"
  [ -z "$librispeech" ] || reproduce+=" --librispeech '$librispeech'"
  for kv in "${overrides[@]}"; do reproduce+=" --set '$kv'"; done
  # a codec continued from another (codec_init): the card finds the earlier runs itself (pipelines.model_card,
  # codec_lineage: a run's final/ folder, or a codec.export with its exported_from.json)
  runs=(--codec-run "$exp/codec/$name" --lm-run "$exp/lm/$name")
  case "$bundle_install" in /*) install=$bundle_install ;; *) install="$root/$bundle_install" ;; esac
  "$py" -m pipelines.model_card --model "$model" --name "$name" --report "$exp/report" \
    --unseen-report "$exp/report-unseen" --benchmark "$exp/report/tts-speed.jsonl" --train-manifest "$data/train.jsonl" \
    ${extra_lm_data:+--train-manifest "$extra_lm_data=$corpus_extra_text"} "${runs[@]}" --reproduce "$reproduce" ${bundle_install:+--install "$install"}
fi
