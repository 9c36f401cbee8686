"""atheris harness for striate's checkpoint reader; see harness.py. Run: python fuzz/fuzz_checkpoint.py -max_total_time=60"""

import harness

if __name__ == "__main__":
    harness.main("checkpoint")
