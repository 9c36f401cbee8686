"""atheris harness for striate's onnx reader; see harness.py. Run: python fuzz/fuzz_onnx.py -max_total_time=60"""

import harness

if __name__ == "__main__":
    harness.main("onnx")
