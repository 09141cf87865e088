"""DynamoDB adapter: key builders, item codecs and the single-table store."""
