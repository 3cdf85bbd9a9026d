"""synthgen.verify: safe extraction, parsing and checking of math/logic answers.

The parent process only extracts answers and talks to a sandboxed worker pool; sympy is imported
in the workers (and by `synthgen verify`'s perturbations), never run on model text through
eval/sympify/parse_expr. See README "synthgen verify / synthgen.rewards".
"""

from synthgen.verify.answer_format import ANSWER_FORMAT_INSTRUCTION
from synthgen.verify.api import check_answer, check_answers, check_gold, check_rows, load_verification
from synthgen.verify.extract import extract_answer, extract_final_answer
from synthgen.verify.verdict import Verdict

__all__ = [
    "ANSWER_FORMAT_INSTRUCTION",
    "Verdict",
    "check_answer",
    "check_answers",
    "check_gold",
    "check_rows",
    "extract_answer",
    "extract_final_answer",
    "load_verification",
]
