"""tlsh_pep748: PEP 748 (a unified TLS API for Python) for tlsharness.

* :mod:`tlsh_pep748.api`: the PEP's classes, transcribed from its text.
* :mod:`tlsh_pep748.stdlib`: an implementation over the standard ssl module
  (``IMPLEMENTATION``, ``INSECURE_IMPLEMENTATION``).

tlsharness loads any PEP 748 implementation through its pep748 bridge:
``tlsharness run --impl pep748:MODULE:ATTRIBUTE`` (see impls/pep748/README.md).
"""
