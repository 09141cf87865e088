"""A Lambda context object like the one AWS passes to handlers."""


class LambdaContext:
    function_name = "hemline-prod"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:hemline-prod"
    aws_request_id = "00000000-0000-0000-0000-000000000001"
    log_group_name = "/aws/lambda/hemline-prod"
    log_stream_name = "2026/11/23/[$LATEST]0"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000
