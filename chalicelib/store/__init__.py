"""Every access to AWS: DynamoDB through PynamoDB models, the S3 vault, the SQS queues."""
