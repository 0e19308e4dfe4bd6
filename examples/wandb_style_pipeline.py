"""A script written for W&B, running on Archivist after changing one import line.

python examples/wandb_style_pipeline.py
"""

import json
import os
import random
import tempfile

import archivist as wandb

workdir = tempfile.mkdtemp(prefix="mnist-example-")
raw_dir = os.path.join(workdir, "raw")
os.makedirs(raw_dir)
rng = random.Random(0)
for i in range(10):
    with open(os.path.join(raw_dir, f"sample-{i}.json"), "w") as f:
        json.dump({"pixels": [rng.randint(0, 255) for _ in range(16)], "label": i % 10}, f)

with wandb.init(project="mnist", job_type="ingest") as run:
    raw = wandb.Artifact("mnist-raw", type="dataset", description="ten fake digits")
    raw.add_dir(raw_dir)
    run.log_artifact(raw)

with wandb.init(project="mnist", job_type="preprocess", config={"norm": True}) as run:
    src = run.use_artifact("mnist-raw:latest").download()
    processed = os.path.join(workdir, "processed")
    os.makedirs(processed, exist_ok=True)
    for name in sorted(os.listdir(src)):
        with open(os.path.join(src, name)) as f:
            sample = json.load(f)
        if run.config.norm:
            sample["pixels"] = [p / 255 for p in sample["pixels"]]
        with open(os.path.join(processed, name), "w") as f:
            json.dump(sample, f)
    art = wandb.Artifact("mnist-pre", type="dataset", description="...", metadata={"norm": True})
    art.add_dir(processed)
    with art.new_file("stats.json", mode="w") as f:
        f.write("{}")
    run.log_artifact(art, aliases=["candidate"], tags=["v2-pipeline"])
    wandb.log({"samples": len(os.listdir(src))})

logged = wandb.Api().artifact("mnist/mnist-pre:candidate")
print(logged.qualified_name, logged.version, sorted(logged.aliases), logged.tags)
print("made by", logged.logged_by().job_type, "from", [a.name for a in logged.logged_by().used_artifacts()])
