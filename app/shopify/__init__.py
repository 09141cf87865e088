"""Shopify Admin GraphQL adapter: documents, client, errors and result models.

The client is built per shop by the composition root:
`AdminClient(shop_domain, access_token, api_version)`; see client.py.
"""
