"""fwlearn: learn Keras and PyTorch side by side by running real code.

What a lesson file imports lives here: ``from fwlearn import report``. Under the fwlearn engine
these calls send metrics, predictions and facts to the app; under plain ``python file.py`` they
do nothing, so every lesson stays a normal program.
"""

from fwlearn.engine.runtime import active, report, report_fact, report_predictions, run_label

__version__ = "0.1.0"
__all__ = ["__version__", "active", "report", "report_fact", "report_predictions", "run_label"]
