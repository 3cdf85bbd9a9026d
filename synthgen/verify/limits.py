"""Size limits applied to untrusted answers BEFORE any sympy object is built.

Why limits and not only a timeout: sympy evaluates eagerly, so `9**9**9**9` or `factorial(10**6)`
starts a computation that a timeout can only kill, costing a worker respawn (~1 s). Rejecting such
inputs while parsing is cheaper and deterministic; the worker deadline remains the backstop.
Figures follow /work/shared/reference/verifiers.md section 5.
"""

MAX_ANSWER_CHARS = 300  # a final answer longer than this scores 0 as "too_long"
MAX_GOLD_CHARS = 4000  # golds are ours but still bounded (sat clause lists are long)
MAX_NODES = 200  # operator/atom nodes built per parsed expression
MAX_NESTING = 30  # parenthesis / call depth (keeps the recursive parser off the recursion limit)
MAX_INT_DIGITS = 60  # digits in one integer or decimal literal
MAX_POW_EXPONENT = 1000  # |numerator| of a numeric exponent
# bound on the digits of any exact intermediate value (see safe_parse.weight). verifiers.md allows 10^4, but
# sympy's assumptions may ask isprime() of any integer (in random order), which on 16584637^1000
# (7,200 digits; found by fuzzing) outlasts the worker's deadline; 1,500 digits keep it short.
MAX_WEIGHT = 1_500
MAX_SYMBOLIC_EXP_WEIGHT = 50  # base and exponent weight when the exponent has free symbols
MAX_FACTORIAL = 1000  # largest n accepted in n! / factorial(n); MAX_WEIGHT stops n! at about n = 630
TAIL_CHARS = 4096  # <answer> and #### fallbacks only look at the completion's final part
INT_MAX_STR_DIGITS = 4300  # Python's default, set explicitly in the worker
WORKER_MEMORY_BYTES = 2 * 1024**3  # RLIMIT_AS of a verifier worker
WORKER_CPU_SECONDS_PER_ITEM = 10  # RLIMIT_CPU slack per item (the wall-clock deadline acts first)
