"""What bflint knows about the numeric libraries (numpy, scipy, the standard
library's ``random``, jax, keras, tensorflow, torch), as data only: the one
table that the draw, shape and support analyses (:mod:`bflint.analyze`) and
the rules read (like TorchFix's symbol tables). No code, no imports.

Names are the last component of a callee (``normal`` for
``np.random.normal`` and ``rng.normal``) unless a key says otherwise.
"""

from __future__ import annotations

# -- random draws ------------------------------------------------------------------

# callees under these module prefixes draw random numbers (unless in NOT_DRAWS)
RANDOM_MODULES = ("numpy.random.", "random.", "jax.random.", "keras.random.",
                  "tensorflow.random.", "torch.distributions.")
# torch's own top-level draws
TORCH_DRAWS = frozenset({"torch.normal", "torch.poisson", "torch.bernoulli", "torch.binomial"})
# calls that build a random generator object (``rng = np.random.default_rng(0)``):
# the model spells their results ``<qualname>()``
RNG_CONSTRUCTORS = ("numpy.random.default_rng()", "numpy.random.RandomState()",
                    "numpy.random.Generator()", "random.Random()")
# module paths whose objects are generators (``rng: np.random.Generator`` imported, ``random``)
RNG_MODULE_PREFIXES = ("numpy.random.", "random.")
RNG_MODULES = frozenset({"numpy.random"})

# random-module functions / generator methods that shuffle, pick, seed or
# return integers: no distribution to draw a parameter from
NOT_DRAWS = frozenset({
    "choice", "permutation", "permuted", "shuffle", "integers", "randint", "random_integers",
    "seed", "default_rng", "RandomState", "Generator", "SeedSequence", "PRNGKey", "key", "split",
    "get_state", "set_state", "bytes", "spawn", "fold_in", "SeedGenerator", "Random", "getstate",
    "setstate", "sample", "choices", "randrange", "getrandbits", "manual_seed", "set_seed",
})
# generator methods that draw from a distribution (``rng.normal(...)``)
DRAW_METHODS = frozenset({
    "normal", "lognormal", "poisson", "binomial", "negative_binomial", "gamma", "beta",
    "exponential", "uniform", "standard_t", "multivariate_normal", "multinomial", "dirichlet",
    "laplace", "logistic", "gumbel", "weibull", "pareto", "geometric", "hypergeometric",
    "chisquare", "f", "vonmises", "wald", "rayleigh", "triangular", "zipf", "standard_cauchy",
    "standard_gamma", "standard_exponential", "noncentral_chisquare", "noncentral_f", "power",
    "logseries", "multivariate_hypergeometric", "bernoulli", "cauchy", "gauss",
})
# an unresolved receiver whose spelling says "random generator": ``rng.normal``,
# ``self.random.normal``, ``gen.gamma`` (last component, lower case)
RNG_NAME_HINTS = ("rng", "random", "generator")
RNG_NAMES = frozenset({"gen", "rs", "g", "r", "key"})

# -- sizes and shapes ----------------------------------------------------------------

# numpy.random / Generator / stdlib random draws -> position of their ``size`` argument
SIZE_POSITION = {
    "normal": 2, "uniform": 2, "lognormal": 2, "gamma": 2, "beta": 2, "laplace": 2,
    "logistic": 2, "gumbel": 2, "vonmises": 2, "wald": 2, "binomial": 2,
    "negative_binomial": 2, "integers": 2, "randint": 2, "f": 2, "noncentral_chisquare": 2,
    "gauss": 2, "hypergeometric": 3, "triangular": 3, "noncentral_f": 3,
    "exponential": 1, "poisson": 1, "chisquare": 1, "standard_t": 1, "standard_gamma": 1,
    "weibull": 1, "pareto": 1, "power": 1, "rayleigh": 1, "geometric": 1, "zipf": 1,
    "logseries": 1, "choice": 1,
    "standard_normal": 0, "standard_cauchy": 0, "standard_exponential": 0, "random": 0,
    "random_sample": 0, "sample": 0, "ranf": 0,
}
# draws whose event shape comes from an argument: name -> (size position, event argument)
EVENT_DRAWS = {"multivariate_normal": (2, 0), "dirichlet": (1, 0), "multinomial": (2, 1)}
# every draw with a ``size`` -> its position
DRAW_SIZE_POSITION = {**SIZE_POSITION, **{k: v[0] for k, v in EVENT_DRAWS.items()}}
# ``np.random.rand(d0, d1, ...)``: the dimensions are the positional arguments
DIMS_AS_ARGS = frozenset({"rand", "randn"})
# the standard library's scalar draws
SCALAR_STDLIB_DRAWS = frozenset({"normalvariate", "betavariate", "gammavariate", "expovariate",
                                 "lognormvariate", "paretovariate", "weibullvariate"})
# draws whose array arguments are a population or an event shape, not a per-element
# location: ``rng.choice(TIMES, size=n)`` is n exchangeable draws
EVENT_OR_POPULATION = frozenset({"choice", "multivariate_normal", "multinomial", "dirichlet",
                                 "hypergeometric"})

# numpy constructors: the shape is the first argument / the shape of the first argument
SHAPE_FROM_ARG0 = frozenset({"zeros", "ones", "empty", "full"})
SHAPE_LIKE = frozenset({"zeros_like", "ones_like", "empty_like", "full_like"})
# element-wise functions (numpy, scipy.special): the result has the shape of the
# first argument (UNARY; ``clip``'s bounds broadcast with it) or the broadcast
# shape of the first two (BINARY); ``where`` picks element-wise between two arrays
ELEMENTWISE_UNARY = frozenset({
    "exp", "exp2", "expm1", "log", "log1p", "log2", "log10", "sqrt", "cbrt", "abs", "absolute",
    "fabs", "tanh", "sinh", "cosh", "arctanh", "sin", "cos", "tan", "arctan", "square", "clip",
    "negative", "round", "rint", "floor", "ceil", "sign", "asarray", "array", "float32",
    "float64", "expit", "logit", "softplus", "sigmoid", "nan_to_num",
})
ELEMENTWISE_BINARY = frozenset({"maximum", "minimum", "power", "add", "subtract", "multiply",
                                "divide"})
ELEMENTWISE = ELEMENTWISE_UNARY | ELEMENTWISE_BINARY | {"where"}
# numpy functions that keep an array's sample axis (not element-wise: they sort,
# accumulate or add axes of length 1)
AXIS_KEEPING = frozenset({"sort", "cumsum", "cumprod", "atleast_1d", "atleast_2d", "squeeze",
                          "expand_dims"})
# ... and of those, the ones that also keep each element's place (an ordered grid stays one)
ORDER_KEEPING = frozenset({"atleast_1d", "squeeze"})
# numpy functions that join arrays along an axis
JOINS = frozenset({"stack", "concatenate", "column_stack", "hstack", "vstack", "dstack"})
# array methods that keep the sample axis / flatten it
KEEP_METHODS = frozenset({"astype", "copy", "squeeze", "clip", "round", "cumsum", "sort"})
FLATTEN_METHODS = frozenset({"flatten", "ravel"})
# 1-D grids whose value changes along the index (measurement times, positions, doses)
GRIDS = frozenset({"linspace", "arange", "logspace", "geomspace"})

# -- supports of distributions ---------------------------------------------------------

# "pos" = [0, inf), "unit" = [0, 1], "uniform" = [low, high] from the first two
# arguments, "scipy_uniform" = [loc, loc + scale]
SUPPORT = {
    # numpy.random functions and Generator / RandomState methods
    "numpy": {
        "gamma": "pos", "standard_gamma": "pos", "exponential": "pos",
        "standard_exponential": "pos", "lognormal": "pos", "chisquare": "pos",
        "noncentral_chisquare": "pos", "poisson": "pos", "binomial": "pos",
        "negative_binomial": "pos", "geometric": "pos", "wald": "pos", "weibull": "pos",
        "pareto": "pos", "rayleigh": "pos", "f": "pos", "noncentral_f": "pos",
        "beta": "unit", "power": "unit", "dirichlet": "unit", "random": "unit", "rand": "unit",
        "random_sample": "unit", "ranf": "unit", "uniform": "uniform",
    },
    # the standard library's random (``random.uniform(a, b)``)
    "random": {
        "uniform": "uniform", "random": "unit", "gammavariate": "pos", "betavariate": "unit",
        "expovariate": "pos", "lognormvariate": "pos", "paretovariate": "pos",
        "weibullvariate": "pos", "binomialvariate": "pos",
    },
    # scipy.stats distributions (``stats.gamma.rvs``, ``stats.gamma(2).rvs()``)
    "scipy.stats": {
        "gamma": "pos", "expon": "pos", "lognorm": "pos", "halfnorm": "pos",
        "halfcauchy": "pos", "halft": "pos", "halflogistic": "pos", "chi2": "pos", "chi": "pos",
        "poisson": "pos", "binom": "pos", "nbinom": "pos", "geom": "pos", "invgamma": "pos",
        "weibull_min": "pos", "pareto": "pos", "rayleigh": "pos", "lomax": "pos",
        "invgauss": "pos", "betaprime": "pos", "loguniform": "pos", "reciprocal": "pos",
        "foldnorm": "pos", "foldcauchy": "pos", "truncexpon": "pos", "gengamma": "pos",
        "beta": "unit", "dirichlet": "unit", "uniform": "scipy_uniform",
        "truncnorm": "scipy_truncnorm",
    },
    # jax.random / keras.random (keys and shapes come first: bounds not read)
    "jax": {"gamma": "pos", "beta": "unit", "exponential": "pos", "uniform": "uniform",
            "dirichlet": "unit", "poisson": "pos", "binomial": "pos"},
}
# the uniform families' bound keywords (positions 0 and 1)
UNIFORM_BOUNDS = {"numpy": ("low", "high"), "random": ("a", "b"), "scipy.stats": ("loc", "scale")}

# functions whose result is bounded whatever their argument
POSITIVE_WRAPPERS = frozenset({"abs", "absolute", "fabs", "exp", "exp2", "softplus"})
UNIT_WRAPPERS = frozenset({"sigmoid", "expit"})
# conversions that keep the values (and so the support)
TRANSPARENT = frozenset({"float", "float32", "float64", "asarray", "array", "atleast_1d",
                         "squeeze"})
# numpy functions joining a sequence of arrays (their first argument): the joined values keep
# the union of the parts' supports (``np.stack([p_coil, p_helix], axis=1)``)
STACKING = frozenset({"stack", "column_stack", "hstack", "vstack", "dstack", "concatenate"})
# libraries whose wrappers count (``np.exp``, ``keras.ops.softplus``, ``math.exp``)
WRAPPER_LIBS = frozenset({"numpy", "math", "keras", "jax", "tensorflow", "torch", "scipy"})

# -- hand preprocessing ------------------------------------------------------------------

# transformations of values (numpy / scipy / math) that the adapter does instead
LOG_LIKE = frozenset({"log", "log1p", "log2", "log10", "sqrt", "arcsinh", "logit", "boxcox"})
# summary statistics of an array (``x.mean()``, ``np.std(x)``, ``np.quantile(x, q)``)
STATS = frozenset({"mean", "std", "var", "median", "max", "min", "ptp", "nanmean", "nanstd",
                   "nanvar", "nanmedian", "amax", "amin", "nanmax", "nanmin", "percentile",
                   "quantile", "nanpercentile", "nanquantile"})
# libraries whose functions of those names are the statistics
STAT_LIBS = frozenset({"numpy", "scipy", "keras", "jax", "torch", "tensorflow"})
