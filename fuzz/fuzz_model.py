"""atheris harness for striate's model reader; see harness.py. Run: python fuzz/fuzz_model.py -max_total_time=60"""

import harness

if __name__ == "__main__":
    harness.main("model")
