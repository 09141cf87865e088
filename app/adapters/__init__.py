"""Adapters: the I/O behind the ports (DynamoDB, SQS, Shopify, files, mail)."""
