"""The returns domain: pure values and rules, no I/O, no Flask, no boto3."""
