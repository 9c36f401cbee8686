"""atheris harness for striate's image reader; see harness.py. Run: python fuzz/fuzz_image.py -max_total_time=60"""

import harness

if __name__ == "__main__":
    harness.main("image")
