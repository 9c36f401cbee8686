"""atheris harness for striate's IDX reader, raw and gzip files; see harness.py. Run: python fuzz/fuzz_idx.py -max_total_time=60"""

import harness

if __name__ == "__main__":
    harness.main("idx", ["idx", "idx_gz"])
