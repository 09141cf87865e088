"""Helpers shared by the test tiers: Shopify reference data, signing, local DynamoDB."""
