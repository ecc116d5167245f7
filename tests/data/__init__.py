"""Reading data: the MNIST loader and cache, hostile files, fuzzed readers."""
