"""softmax-parity data: fetch, verify and describe a dataset."""
from __future__ import annotations

import json

from . import common


def register(sub) -> None:
    p = sub.add_parser("data", help="fetch, verify and describe MNIST / Fashion-MNIST",
                       description="Get the dataset (from --data-dir, the cache, or a "
                                   "download verified by SHA-256), then print its splits, "
                                   "class counts, content checksum and source.")
    common.add_data_args(p)
    p.add_argument("--json", action="store_true", help="print the description as JSON")
    p.add_argument("--quiet", action="store_true", help="no download progress")
    p.set_defaults(func=run)


def run(args) -> int:
    data = common.load_data(args, quiet=args.quiet)
    d = data.describe()
    if args.json:
        print(json.dumps(d, indent=2))
        return 0
    print(f"dataset:  {d['dataset']}")
    print(f"source:   {d['source']}")
    print(f"cache:    {d['cache'] or '(not cached: read from the given path)'}")
    print(f"content SHA-256 (uint8 x_train, y_train, x_test, y_test): {d['content_sha256']}")
    canonical = f"yes, matches the canonical {d['dataset']}"
    print(f"verified: {canonical if d['verified'] else 'NO: not the canonical files'}")
    names = data.class_names
    print(f"{'split':<11}{'images':>7}  class counts ({', '.join(names[:3])}, ...)")
    for split, s in d["splits"].items():
        print(f"{split:<11}{s['n']:>7}  {' '.join(f'{c:>5}' for c in s['class_counts'])}")
    return 0
