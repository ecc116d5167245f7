"""Every limit of the project, each with its reason and the worst case measured."""

# --- training -------------------------------------------------------------------------------
# A step whose mean loss exceeds DIVERGED_LOSS_FACTOR * ln(C) counts as divergence. ln(C) is
# the loss of a uniform guess; 100 x that (230 for C = 10) means the true class gets
# probability e^-230 on average: logit margins in the hundreds, the wrong way. This model's
# gradient is bounded (|dL/dW| <= max |x|), so a step that is too large never reaches inf in
# float32: on MNIST at lr 1e4 the step losses swing up to ~7e4 and stay finite for 30 epochs
# (measured; they scale with lr: ~57 at lr 10, ~700 at lr 100). NaN/inf alone would never fire.
DIVERGED_LOSS_FACTOR = 100.0
