# An nbgrader (or otter) test cell: paste it into the assignment notebook as a graded,
# read-only cell. It checks the functions the student wrote in the notebook's earlier cells,
# which the notebook saved to softmax.py (%%writefile softmax.py), against the assignment's
# contract, and fails with the whole report when a function is wrong.
from softmax_parity.check import check

report = check("softmax.py", contract="layout=examples-first,labels=ids,reduction=mean,"
                                      "bias=no,reg=1", tf=False)
assert report.passed, report.format()
