"""The three decisions of the paper, each a pure function from arrays to arrays.

- :mod:`connsim.decisions.vendors`: 5G security policy toward high-risk vendors,
  procurement of renewed capacity, and the vendors' quality ("Telecommunications
  infrastructure").
- :mod:`connsim.decisions.regimes`: the data-flow regime and EU adequacy ("Regulation").
- :mod:`connsim.decisions.oda`: digital development aid offers, acceptance and effects
  ("Digital ODA").

None of them knows Mesa: they take numpy arrays and a weights object and return arrays.
"""
