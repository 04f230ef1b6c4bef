"""The "getting started" text both CLIs end their --help with: the four first commands, in order."""

GETTING_STARTED = """Getting started, in order:

1. askg build --classes k600.txt
   The ASKG of a shipped class list (k400, k600, k600_novel, k600_split1..3,
   ucf101, hmdb51) or of your own file: curated seeds first, an LLM
   (--llm-base-url) only for unseeded classes. No server needed.

2. askg export-prompts
   Spatial and temporal prompts of every class in the graph -> ./prompts.json

3. stdd train --set data.root=DIR --set data.train_split=CSV
   The official recipe (k400_vitb16_8x16) on your videos, with
   --set data.classes=JSON --set data.prompts=prompts.json. Offline on a CPU:
   stdd synth --out data/synth, then stdd train --config synthetic_tiny_cpu

4. askg browse
   The graph in Neo4j Browser; a server: scripts/neo4j-local start,
   or docker compose up -d
"""
