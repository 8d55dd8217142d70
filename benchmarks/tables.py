"""Markdown tables from a results file: `python -m benchmarks.tables [benchmarks/results.jsonl]` (the latest record
per benchmark, device and training precision). Medians with [min-max]; RTF = compute seconds per second of audio."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks.common import DEFAULT_RESULTS


def _r(stats, digits=3):
    if not stats:
        return "-"
    return f"{stats['median']:.{digits}f} [{stats['min']:.{digits}f}-{stats['max']:.{digits}f}]"


def _f(x, fmt="{:.1f}"):
    return "-" if x is None else fmt.format(x)


def _env(rec):
    e = rec["env"]
    isa = f" ({e['cpu_isa']}{', bf16 units' if e.get('cpu_bf16_units') else ''})" if e.get("cpu_isa") else ""
    return (f"_{rec['benchmark']}: {e['date']}, {e['cpu']}{isa} x{e['cpu_cores']}, torch threads {e['torch_threads']}"
            f"{', GPU ' + e['gpu'] if e.get('gpu') else ''}, torch {e['torch']}, transformers {e['transformers']}, "
            f"python {e['python']}, load average at start {e['loadavg_start']}, at end {e.get('loadavg_end')}_")


def render(records: list[dict]) -> str:
    latest = {}
    for rec in records:  # one table per benchmark, device and training precision (the latest record of each)
        precision = next((r["precision"] for r in rec["results"] if r.get("precision")), None)
        latest[(rec["benchmark"], rec["env"]["device"], precision)] = rec
    out = []
    for (name, device, precision), rec in latest.items():
        rows = rec["results"]
        shown = f", {precision}" if name in ("codec_train", "lm_train", "tts") and precision else ""
        out.append(f"### {name} ({device}{shown})\n\n{_env(rec)}\n")
        if name == "codec_infer":
            out.append("| preset | params | batch | encode RTF | decode RTF | enc+dec x real time | peak RSS MB |\n|---|---|---|---|---|---|---|")
            for r in rows:
                if "skipped" in r:
                    out.append(f"| {r['preset']} | {r['parameters'] / 1e6:.1f} M | {r['batch']} | skipped: {r['skipped']} | | | |")
                else:
                    out.append(f"| {r['preset']} | {r['parameters'] / 1e6:.1f} M | {r['batch']} | {_r(r['encode_rtf'], 4)} | "
                               f"{_r(r['decode_rtf'], 4)} | {r['encode_decode_x_realtime']:.1f} | "
                               f"{r.get('peak_cuda_mb', r.get('peak_rss_mb'))} |")
        elif name == "codec_train":
            out.append("| preset | SG | batch x s | s/step | samples/s | GFLOP/step | achieved GFLOP/s | MFU |\n|---|---|---|---|---|---|---|---|")
            for r in rows:
                if "sg_overhead_ratio" in r:
                    pr = r.get("sg_overhead_ratio_paired")  # records before 2026-12-07 interleaved the variants
                    paired = f" (adjacent-step ratios: {_r(pr, 3)})" if pr else ""
                    if r.get("sg_overhead_ratio_fastest"):  # records from 2026-12-07 on
                        paired += f" (fastest steps: x{r['sg_overhead_ratio_fastest']:.3f})"
                    out.append(f"| {r['preset']} | **SG overhead x{r['sg_overhead_ratio']:.3f}**{paired} | | | | | | |")
                elif "skipped" in r:
                    out.append(f"| {r['preset']} | {r['sg']} | | skipped: {r['skipped']} | | | | |")
                else:
                    out.append(f"| {r['preset']} | {r['sg']} | {r['batch']} x {r['segment_seconds']} | {_r(r['step_s'], 2)} | "
                               f"{r['samples_per_s']:.2f} | {_f(r.get('flops_per_step', 0) / 1e9)} | "
                               f"{_f(r.get('achieved_flops', 0) / 1e9)} | {_f(r.get('mfu'), '{:.3f}')} |")
        elif name == "lm_train":
            out.append("| preset | packing | batch | real tokens/step | tokens/s [min-max] | padding (epoch) | GFLOP/s | MFU |\n|---|---|---|---|---|---|---|---|")
            for r in rows:
                if "skipped" in r:
                    out.append(f"| {r['preset']} | {r['packing']} | {r['batch_shape']} | | skipped: {r['skipped']} | "
                               f"{r['padding_fraction_epoch']:.3f} | | |")
                else:
                    out.append(f"| {r['preset']} | {r['packing']} | {r['batch_shape']} | {r['real_tokens_per_step']} | "
                               f"{r['tokens_per_s']:.0f} [{r['tokens_per_s_min']:.0f}-{r['tokens_per_s_max']:.0f}] | "
                               f"{r['padding_fraction_epoch']:.3f} | {r['achieved_flops'] / 1e9:.1f} | {_f(r.get('mfu'), '{:.3f}')} |")
        elif name == "lm_generate":
            out.append("| LM | batch | new tokens | generate_codes tok/s | model.generate tok/s | ms/step ours | ms/step plain | speed-up |\n|---|---|---|---|---|---|---|---|")
            for r in rows:
                model = f"{r.get('preset') or r.get('model')} ({r['codebook']} codes)"
                out.append(f"| {model} | {r['batch']} | {r['new_tokens']} | {_r(r['ours_tokens_per_s'], 0)} | "
                           f"{_r(r['plain_tokens_per_s'], 0)} | {r['ours_ms_per_step']:.1f} | {r['plain_ms_per_step']:.1f} | "
                           f"{r['speedup_vs_plain']:.2f}x |")
        elif name == "tts":
            out.append("| input | sentences | frames/sentence | audio s | synthesis s | RTF | first audio s | codes/s |\n|---|---|---|---|---|---|---|---|")
            for r in rows:
                if "skipped" in r:  # (a --natural run whose model made no audio)
                    out.append(f"| {r['input']} | {r.get('sentences', '')} | | | skipped: {r['skipped']} | | | |")
                    continue
                out.append(f"| {r['input']} | {r['sentences']} | {r['frames_per_sentence']} | {r['audio_seconds']:.2f} | "
                           f"{_r(r['synthesis_s'], 2)} | {_r(r['rtf'], 3)} | {r['first_audio_latency_s']:.2f} | "
                           f"{_f(r.get('lm_tokens_per_s'), '{:.0f}')} |")
        elif name == "precision_ab":
            arms = list(dict.fromkeys(r["arm"] for r in rows))
            out.append("| rows | " + " | ".join(f"{a}: ms/step (paired ratio to float32)" for a in arms) + " |\n|---|"
                       + "---|" * len(arms))
            for batch in dict.fromkeys(r["batch"] for r in rows):
                cell = {r["arm"]: r for r in rows if r["batch"] == batch}
                out.append(f"| {batch} | " + " | ".join(
                    f"{cell[a]['ms_per_step_median']:.2f} (x{cell[a]['paired_ratio_to_float32']:.2f})" if a in cell else ""
                    for a in arms) + " |")
        elif name == "peers":
            info = rec["params"]["peers"]
            out.append(f"peers venv: {info.get('peers_python')}; torchaudio there: {info.get('torchaudio', '-')}"
                       + (f"; NOT MEASURED: {info['not_measured']}" if "not_measured" in info else "") + "\n")
            out.append("| codec | params | batch | decode RTF [min-max] | decode x real time |\n|---|---|---|---|---|")
            for r in rows:
                if r.get("skipped"):
                    out.append(f"| {r['codec']} | | {r['batch']} | skipped: {r['skipped']} | |")
                else:
                    out.append(f"| {r['codec']} | {(r.get('parameters') or 0) / 1e6:.1f} M | {r['batch']} | "
                               f"{_r(r['decode_rtf'], 4)} | {r['decode_x_realtime']:.1f} |")
        for t in rec.get("targets", []):
            out.append(f"\n- target: {t['target']}: **{t['value']:.3g}** -> {'met' if t['met'] else 'MISSED'}")
        out.append("")
    return "\n".join(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.tables", description=__doc__.split("\n\n")[0])
    p.add_argument("results", type=Path, nargs="?", default=DEFAULT_RESULTS, help=f"default: {DEFAULT_RESULTS}")
    path = p.parse_args(argv).results
    try:
        text = path.read_text()
    except OSError as e:
        p.error(f"{path}: cannot read the results file ({e.strerror})")
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:  # a record cut short (a writer killed, a full disk): the others still render
            print(f"{path}:{number}: not a JSON record (cut short?): left out", file=sys.stderr)
            continue
        if not isinstance(record, dict) or not isinstance(record.get("results"), list) or "env" not in record:
            # e.g. the first compile_ab records (2026-11-28), written before every record held results and env
            print(f"{path}:{number}: a record without results or env (an older format): left out", file=sys.stderr)
            continue
        records.append(record)
    print(render(records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
