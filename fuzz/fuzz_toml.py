"""atheris harness for striate's toml reader; see harness.py. Run: python fuzz/fuzz_toml.py -max_total_time=60"""

import harness

if __name__ == "__main__":
    harness.main("toml")
