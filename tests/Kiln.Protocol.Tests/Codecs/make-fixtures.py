#!/usr/bin/python3
"""Real botocore as the oracle for Kiln's protocol codecs.

Two jobs, both through a real botocore client (so every handler botocore runs -- S3 path-style
addressing, checksum headers, GetBucketLocation's hand-parsing -- is part of the oracle):

  /usr/bin/python3 make-fixtures.py   Captures the exact HTTP requests botocore sends for the cases
                                      below and writes fixtures/requests.json (committed). The
                                      request tests route and parse each one and compare the result
                                      with the parameters botocore was given.
                                      Also writes fixtures/responses.json: outputs and errors the
                                      response tests serialize with Kiln's codecs.

  /usr/bin/python3 make-fixtures.py parse  Reads a JSON list of responses Kiln wrote
                                      ({service, operation, params, status, headers, body_b64}) on
                                      stdin, feeds each to botocore as the HTTP response of that
                                      call, and prints what botocore parsed (or the error it raised)
                                      as JSON. The response tests run this at test time.

It must run under Debian's /usr/bin/python3 (python3-botocore, the same models Kiln.CodeGen reads),
not another botocore on PATH.

Values are normalised by shape so both sides can compare them as JSON: timestamps as UTC ISO 8601
with milliseconds, blobs (and streaming bodies) as base64.
"""
import base64
import copy
import datetime
import io
import json
import os
import sys
import urllib.parse

import botocore
import botocore.awsrequest
import botocore.config
import botocore.exceptions
import botocore.serialize
import botocore.session
import botocore.validate

HERE = os.path.dirname(os.path.abspath(__file__))
ENDPOINT = 'http://localhost:4600'
UTC = datetime.timezone.utc


def ts(text):
    return datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%S.%f').replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Requests: (name, service, operation, params)
REQUESTS = [
    # query: STS
    ('sts-get-caller-identity', 'sts', 'GetCallerIdentity', {}),
    ('sts-assume-role', 'sts', 'AssumeRole', {
        'RoleArn': 'arn:aws:iam::123456789012:role/demo',
        'RoleSessionName': 'session+one=two&three',
        'DurationSeconds': 3600,
        'Policy': '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}',
        'PolicyArns': [{'arn': 'arn:aws:iam::aws:policy/ReadOnlyAccess'},
                       {'arn': 'arn:aws:iam::123456789012:policy/p%20x'}],
        'Tags': [{'Key': 'Project', 'Value': 'Kiln ü'}, {'Key': 'Team', 'Value': 'a&b=c'}],
        'TransitiveTagKeys': ['Project', 'Team'],
        'ExternalId': 'ext-123',
    }),
    ('sts-assume-role-empty-list', 'sts', 'AssumeRole', {
        'RoleArn': 'arn:aws:iam::123456789012:role/demo', 'RoleSessionName': 'sx',
        'TransitiveTagKeys': [],
    }),
    # query: IAM
    ('iam-create-user', 'iam', 'CreateUser', {
        'UserName': 'alice', 'Path': '/engineering/',
        'Tags': [{'Key': 'cost-center', 'Value': '42'}],
    }),
    ('iam-list-users', 'iam', 'ListUsers', {'PathPrefix': '/engineering/', 'Marker': 'abc==', 'MaxItems': 10}),
    ('iam-update-password-policy', 'iam', 'UpdateAccountPasswordPolicy', {
        'MinimumPasswordLength': 12, 'RequireSymbols': True, 'RequireNumbers': False,
        'AllowUsersToChangePassword': True, 'MaxPasswordAge': 90,
    }),
    ('iam-simulate-principal-policy', 'iam', 'SimulatePrincipalPolicy', {
        'PolicySourceArn': 'arn:aws:iam::123456789012:user/alice',
        'ActionNames': ['s3:GetObject', 's3:PutObject'],
        'ContextEntries': [{'ContextKeyName': 'aws:CurrentTime', 'ContextKeyValues': ['2026-11-21T04:02:43Z'],
                            'ContextKeyType': 'date'}],
    }),
    # query: SNS (maps, with and without key/value locationNames)
    ('sns-publish-attributes', 'sns', 'Publish', {
        'TopicArn': 'arn:aws:sns:us-east-1:123456789012:t', 'Message': 'hello world',
        'MessageAttributes': {
            'color': {'DataType': 'String', 'StringValue': 'blue'},
            'bin': {'DataType': 'Binary', 'BinaryValue': b'\x00\x01\xfe\xff'},
        },
    }),
    ('sns-create-topic', 'sns', 'CreateTopic', {
        'Name': 'orders', 'Attributes': {'DisplayName': 'Orders', 'FifoTopic': 'false'},
        'Tags': [{'Key': 'k', 'Value': 'v'}],
    }),
    # query: SQS (flattened lists and maps with locationNames)
    ('sqs-create-queue', 'sqs', 'CreateQueue', {
        'QueueName': 'jobs', 'Attributes': {'VisibilityTimeout': '30', 'DelaySeconds': '5'},
        'tags': {'env': 'dev'},
    }),
    ('sqs-send-message-batch', 'sqs', 'SendMessageBatch', {
        'QueueUrl': 'http://localhost:4600/123456789012/jobs',
        'Entries': [
            {'Id': 'a', 'MessageBody': 'one', 'DelaySeconds': 1,
             'MessageAttributes': {'n': {'DataType': 'Number', 'StringValue': '1'}}},
            {'Id': 'b', 'MessageBody': 'two'},
        ],
    }),
    ('sqs-receive-message', 'sqs', 'ReceiveMessage', {
        'QueueUrl': 'http://localhost:4600/123456789012/jobs', 'MaxNumberOfMessages': 10,
        'AttributeNames': ['All'], 'MessageAttributeNames': ['color', 'size'], 'WaitTimeSeconds': 0,
    }),
    # query: CloudWatch (doubles, timestamps, nested lists)
    ('cloudwatch-put-metric-data', 'cloudwatch', 'PutMetricData', {
        'Namespace': 'Kiln/Test',
        'MetricData': [{
            'MetricName': 'Latency', 'Timestamp': ts('2026-11-21T04:02:43.000000'),
            'Dimensions': [{'Name': 'Endpoint', 'Value': 'e1'}, {'Name': 'Variant', 'Value': 'v1'}],
            'Value': 0.125, 'Unit': 'Seconds', 'StorageResolution': 1,
            'Values': [1.5, 2.25], 'Counts': [3.0, 4.0],
        }, {
            'MetricName': 'Count',
            'StatisticValues': {'SampleCount': 2.0, 'Sum': 10.5, 'Minimum': 0.5, 'Maximum': 10.0},
        }],
    }),
    ('cloudwatch-get-metric-statistics', 'cloudwatch', 'GetMetricStatistics', {
        'Namespace': 'Kiln/Test', 'MetricName': 'Latency',
        'StartTime': ts('2026-11-21T04:00:00.000000'), 'EndTime': ts('2026-11-21T05:00:00.250000'),
        'Period': 60, 'Statistics': ['Average', 'Maximum'],
    }),
    # json: Kinesis
    ('kinesis-put-record', 'kinesis', 'PutRecord', {
        'StreamName': 'clicks', 'Data': b'\x00\x01\x02binary\xff\xfe', 'PartitionKey': 'user-1',
        'ExplicitHashKey': '123', 'SequenceNumberForOrdering': '1',
    }),
    ('kinesis-list-streams', 'kinesis', 'ListStreams', {'Limit': 10, 'ExclusiveStartStreamName': 'a'}),
    ('kinesis-list-streams-empty', 'kinesis', 'ListStreams', {}),
    ('kinesis-put-records', 'kinesis', 'PutRecords', {
        'StreamName': 'clicks',
        'Records': [{'Data': b'one', 'PartitionKey': 'p1'}, {'Data': b'', 'PartitionKey': 'p2'}],
    }),
    ('kinesis-get-shard-iterator', 'kinesis', 'GetShardIterator', {
        'StreamName': 'clicks', 'ShardId': 'shardId-000000000000', 'ShardIteratorType': 'AT_TIMESTAMP',
        'Timestamp': ts('2026-11-21T04:02:43.000000'),
    }),
    # json: SageMaker
    ('sagemaker-create-training-job', 'sagemaker', 'CreateTrainingJob', {
        'TrainingJobName': 'xgb-1',
        'HyperParameters': {'max_depth': '5', 'eta': '0.2', 'objective': 'binary:logistic'},
        'AlgorithmSpecification': {'TrainingImage': 'xgboost', 'TrainingInputMode': 'File',
                                   'MetricDefinitions': [{'Name': 'auc', 'Regex': 'auc:([0-9.]+)'}]},
        'RoleArn': 'arn:aws:iam::123456789012:role/sm',
        'InputDataConfig': [{
            'ChannelName': 'train',
            'DataSource': {'S3DataSource': {'S3DataType': 'S3Prefix', 'S3Uri': 's3://b/train/',
                                            'S3DataDistributionType': 'FullyReplicated',
                                            'AttributeNames': ['a', 'b']}},
            'ContentType': 'text/csv', 'CompressionType': 'None',
        }],
        'OutputDataConfig': {'S3OutputPath': 's3://b/out/'},
        'ResourceConfig': {'InstanceType': 'ml.m5.large', 'InstanceCount': 1, 'VolumeSizeInGB': 10},
        'StoppingCondition': {'MaxRuntimeInSeconds': 3600},
        'EnableNetworkIsolation': False,
        'Tags': [{'Key': 'k', 'Value': 'v'}],
        'Environment': {'A': '1'},
    }),
    ('sagemaker-list-training-jobs', 'sagemaker', 'ListTrainingJobs', {
        'CreationTimeAfter': ts('2026-01-02T03:04:05.000000'), 'MaxResults': 5, 'SortOrder': 'Descending',
    }),
    # rest-json: Lambda
    ('lambda-invoke', 'lambda', 'Invoke', {
        'FunctionName': 'arn:aws:lambda:us-east-1:123456789012:function:my-func',
        'InvocationType': 'RequestResponse', 'LogType': 'Tail',
        'ClientContext': base64.b64encode(b'{"custom":{"a":1}}').decode(),
        'Payload': b'{"key": "value \xc3\xbc"}', 'Qualifier': '$LATEST',
    }),
    ('lambda-list-functions', 'lambda', 'ListFunctions', {'MaxItems': 5, 'Marker': 'm/1', 'FunctionVersion': 'ALL'}),
    ('lambda-list-functions-empty', 'lambda', 'ListFunctions', {}),
    ('lambda-get-function', 'lambda', 'GetFunction', {'FunctionName': 'my-func', 'Qualifier': '2'}),
    ('lambda-create-function', 'lambda', 'CreateFunction', {
        'FunctionName': 'f', 'Runtime': 'python3.12', 'Role': 'arn:aws:iam::123456789012:role/r',
        'Handler': 'app.handler', 'Code': {'ZipFile': b'PK\x03\x04zipbytes'},
        'Timeout': 30, 'MemorySize': 256, 'Publish': True,
        'Environment': {'Variables': {'K': 'V'}}, 'Tags': {'t': '1'},
        'Layers': ['arn:aws:lambda:us-east-1:123456789012:layer:l:1'],
    }),
    ('lambda-untag-resource', 'lambda', 'UntagResource', {
        'Resource': 'arn:aws:lambda:us-east-1:123456789012:function:f', 'TagKeys': ['a', 'b c'],
    }),
    ('lambda-list-provisioned-concurrency', 'lambda', 'ListProvisionedConcurrencyConfigs', {
        'FunctionName': 'f', 'MaxItems': 3,
    }),
    ('lambda-delete-function', 'lambda', 'DeleteFunction', {'FunctionName': 'f'}),
    # rest-json: SageMaker Runtime, Feature Store Runtime
    ('sagemaker-runtime-invoke-endpoint', 'sagemaker-runtime', 'InvokeEndpoint', {
        'EndpointName': 'my-endpoint', 'Body': b'1.0,2.0,3.5\n', 'ContentType': 'text/csv',
        'Accept': 'application/json', 'CustomAttributes': 'c=1', 'TargetVariant': 'v1',
        'InferenceId': 'inf-1',
    }),
    ('featurestore-get-record', 'sagemaker-featurestore-runtime', 'GetRecord', {
        'FeatureGroupName': 'fg', 'RecordIdentifierValueAsString': 'id 1/2', 'FeatureNames': ['a', 'b'],
    }),
    ('featurestore-put-record', 'sagemaker-featurestore-runtime', 'PutRecord', {
        'FeatureGroupName': 'fg',
        'Record': [{'FeatureName': 'a', 'ValueAsString': '1'}, {'FeatureName': 'b', 'ValueAsString': 'x'}],
        'TargetStores': ['OnlineStore'],
    }),
    # rest-json: jsonvalue headers and a streaming payload (Lex), a querystring map (API Gateway),
    # querystring timestamps (CodeGuru Profiler)
    ('lex-runtime-post-content', 'lex-runtime', 'PostContent', {
        'botName': 'OrderBot', 'botAlias': 'prod', 'userId': 'user 1',
        'sessionAttributes': {'cart': '2 items', 'ü': 'x'}, 'requestAttributes': {'r': '1'},
        'contentType': 'text/plain; charset=utf-8', 'accept': 'text/plain; charset=utf-8',
        'inputStream': b'I would like a pizza',
    }),
    ('apigateway-get-export', 'apigateway', 'GetExport', {
        'restApiId': 'abc123', 'stageName': 'prod', 'exportType': 'oas30',
        'parameters': {'extensions': 'integrations', 'odd key': 'a&b=c'}, 'accepts': 'application/yaml',
    }),
    ('codeguruprofiler-get-profile', 'codeguruprofiler', 'GetProfile', {
        'profilingGroupName': 'pg', 'startTime': ts('2026-11-21T04:02:43.000000'),
        'endTime': ts('2026-11-21T05:02:43.500000'), 'maxDepth': 3, 'accept': 'application/json',
    }),
    # rest-xml: S3
    ('s3-put-object', 's3', 'PutObject', {
        'Bucket': 'my-bucket', 'Key': 'dir/sub dir/ü+%.txt', 'Body': b'\x00hello\xffworld\n',
        'ContentType': 'application/octet-stream', 'Metadata': {'color': 'blue', 'Mixed-Case': 'x y'},
        'StorageClass': 'STANDARD_IA', 'Tagging': 'a=b&c=d', 'ServerSideEncryption': 'AES256',
        'Expires': ts('2026-11-21T04:02:43.000000'), 'ACL': 'private', 'CacheControl': 'no-cache',
    }),
    ('s3-get-object', 's3', 'GetObject', {
        'Bucket': 'my-bucket', 'Key': 'a/b/c.txt', 'Range': 'bytes=0-9', 'VersionId': 'v1',
        'IfModifiedSince': ts('2026-11-21T04:02:43.000000'), 'ResponseContentType': 'text/plain',
        'PartNumber': 2,
    }),
    ('s3-get-object-slashes', 's3', 'GetObject', {'Bucket': 'my-bucket', 'Key': '/leading//double/trailing/'}),
    ('s3-head-object', 's3', 'HeadObject', {'Bucket': 'my-bucket', 'Key': 'k'}),
    ('s3-list-objects-v2', 's3', 'ListObjectsV2', {
        'Bucket': 'my-bucket', 'Prefix': 'logs/2026/', 'Delimiter': '/', 'MaxKeys': 100,
        'ContinuationToken': 'tok==', 'FetchOwner': True, 'StartAfter': 'logs/2026/01', 'EncodingType': 'url',
    }),
    ('s3-list-objects', 's3', 'ListObjects', {'Bucket': 'my-bucket', 'Prefix': 'p', 'Marker': 'm'}),
    ('s3-list-buckets', 's3', 'ListBuckets', {}),
    ('s3-create-bucket', 's3', 'CreateBucket', {
        'Bucket': 'my-bucket', 'CreateBucketConfiguration': {'LocationConstraint': 'eu-west-1'},
        'ObjectLockEnabledForBucket': True,
    }),
    ('s3-create-bucket-no-body', 's3', 'CreateBucket', {'Bucket': 'my-bucket'}),
    ('s3-delete-objects', 's3', 'DeleteObjects', {
        'Bucket': 'my-bucket',
        'Delete': {'Objects': [{'Key': 'a'}, {'Key': 'b&c<d>"e\'', 'VersionId': 'v1'}], 'Quiet': True},
    }),
    ('s3-complete-multipart-upload', 's3', 'CompleteMultipartUpload', {
        'Bucket': 'my-bucket', 'Key': 'big.bin', 'UploadId': 'up/1+2',
        'MultipartUpload': {'Parts': [{'ETag': '"etag1"', 'PartNumber': 1}, {'ETag': '"etag2"', 'PartNumber': 2}]},
    }),
    ('s3-create-multipart-upload', 's3', 'CreateMultipartUpload', {'Bucket': 'my-bucket', 'Key': 'big.bin'}),
    ('s3-upload-part', 's3', 'UploadPart', {
        'Bucket': 'my-bucket', 'Key': 'big.bin', 'UploadId': 'u1', 'PartNumber': 3, 'Body': b'part-bytes',
    }),
    ('s3-upload-part-copy', 's3', 'UploadPartCopy', {
        'Bucket': 'my-bucket', 'Key': 'big.bin', 'UploadId': 'u1', 'PartNumber': 4,
        'CopySource': 'src-bucket/src key', 'CopySourceRange': 'bytes=0-99',
    }),
    ('s3-copy-object', 's3', 'CopyObject', {
        'Bucket': 'my-bucket', 'Key': 'copy.txt', 'CopySource': 'src-bucket/src key.txt',
        'MetadataDirective': 'REPLACE', 'Metadata': {'m': '1'},
    }),
    ('s3-list-parts', 's3', 'ListParts', {'Bucket': 'my-bucket', 'Key': 'big.bin', 'UploadId': 'u1', 'MaxParts': 5}),
    ('s3-abort-multipart-upload', 's3', 'AbortMultipartUpload', {'Bucket': 'my-bucket', 'Key': 'big.bin', 'UploadId': 'u1'}),
    ('s3-delete-object', 's3', 'DeleteObject', {'Bucket': 'my-bucket', 'Key': 'gone.txt', 'VersionId': 'v9'}),
    ('s3-put-object-tagging', 's3', 'PutObjectTagging', {
        'Bucket': 'my-bucket', 'Key': 'k', 'VersionId': 'v1',
        'Tagging': {'TagSet': [{'Key': 'a', 'Value': '1'}, {'Key': 'b', 'Value': ''}]},
    }),
    ('s3-get-object-tagging', 's3', 'GetObjectTagging', {'Bucket': 'my-bucket', 'Key': 'k'}),
    ('s3-get-bucket-location', 's3', 'GetBucketLocation', {'Bucket': 'my-bucket'}),
    ('s3-put-bucket-acl', 's3', 'PutBucketAcl', {
        'Bucket': 'my-bucket',
        'AccessControlPolicy': {
            'Grants': [{'Grantee': {'Type': 'CanonicalUser', 'ID': 'abc123'}, 'Permission': 'FULL_CONTROL'},
                       {'Grantee': {'Type': 'Group', 'URI': 'http://acs.amazonaws.com/groups/global/AllUsers'},
                        'Permission': 'READ'}],
            'Owner': {'ID': 'abc123'},
        },
    }),
    ('s3-put-bucket-lifecycle-configuration', 's3', 'PutBucketLifecycleConfiguration', {
        'Bucket': 'my-bucket',
        'LifecycleConfiguration': {'Rules': [{
            'ID': 'expire-logs', 'Status': 'Enabled', 'Filter': {'Prefix': 'logs/'},
            'Expiration': {'Days': 30},
            'Transitions': [{'Days': 7, 'StorageClass': 'GLACIER'},
                            {'Date': ts('2027-01-01T00:00:00.000000'), 'StorageClass': 'DEEP_ARCHIVE'}],
        }]},
    }),
    ('s3-put-bucket-versioning', 's3', 'PutBucketVersioning', {
        'Bucket': 'my-bucket', 'VersioningConfiguration': {'Status': 'Enabled'},
    }),
    ('s3-get-bucket-lifecycle-configuration', 's3', 'GetBucketLifecycleConfiguration', {'Bucket': 'my-bucket'}),
    ('s3-put-bucket-policy', 's3', 'PutBucketPolicy', {
        'Bucket': 'my-bucket', 'Policy': '{"Version":"2012-10-17","Statement":[]}',
    }),
    ('s3-restore-object', 's3', 'RestoreObject', {
        'Bucket': 'my-bucket', 'Key': 'cold.bin', 'RestoreRequest': {'Days': 2, 'GlacierJobParameters': {'Tier': 'Bulk'}},
    }),
    ('s3-get-object-attributes', 's3', 'GetObjectAttributes', {
        'Bucket': 'my-bucket', 'Key': 'k', 'ObjectAttributes': ['ETag', 'ObjectSize', 'StorageClass'], 'MaxParts': 3,
    }),
    ('s3-copy-object-conditions', 's3', 'CopyObject', {
        'Bucket': 'my-bucket', 'Key': 'k2', 'CopySource': {'Bucket': 'src', 'Key': 'a b/c', 'VersionId': 'v1'},
        'CopySourceIfModifiedSince': ts('2026-11-21T04:02:43.000000'), 'BucketKeyEnabled': True,
        'ObjectLockRetainUntilDate': ts('2027-01-01T00:00:00.000000'),
    }),
    ('s3control-create-bucket', 's3control', 'CreateBucket', {
        'Bucket': 'bkt', 'ObjectLockEnabledForBucket': True,
        'CreateBucketConfiguration': {'LocationConstraint': 'eu-west-1'},
    }),
    # rest-xml: S3 Control (host prefix, header-located account id)
    ('s3control-put-public-access-block', 's3control', 'PutPublicAccessBlock', {
        'AccountId': '123456789012',
        'PublicAccessBlockConfiguration': {'BlockPublicAcls': True, 'IgnorePublicAcls': False,
                                           'BlockPublicPolicy': True, 'RestrictPublicBuckets': True},
    }),
]

# ---------------------------------------------------------------------------------------------
# Responses: (name, service, operation, params-to-call-with, output) or with 'error' instead of
# output: {code, message, status?, fields?, sender_fault?, not_implemented?}.
RESPONSES = [
    ('sts-get-caller-identity', 'sts', 'GetCallerIdentity', {}, {
        'UserId': 'AIDAEXAMPLE', 'Account': '123456789012', 'Arn': 'arn:aws:iam::123456789012:user/alice'}),
    ('sts-assume-role', 'sts', 'AssumeRole', {'RoleArn': 'arn:aws:iam::123456789012:role/r', 'RoleSessionName': 'sx'}, {
        'Credentials': {'AccessKeyId': 'ASIAEXAMPLE', 'SecretAccessKey': 'secret/key+', 'SessionToken': 'tok<&>',
                        'Expiration': ts('2026-11-21T05:02:43.123000')},
        'AssumedRoleUser': {'AssumedRoleId': 'AROA:s', 'Arn': 'arn:aws:sts::123456789012:assumed-role/r/s'},
        'PackedPolicySize': 6, 'SourceIdentity': 'me'}),
    ('iam-create-user', 'iam', 'CreateUser', {'UserName': 'alice'}, {'User': {
        'Path': '/', 'UserName': 'alice', 'UserId': 'AIDA1', 'Arn': 'arn:aws:iam::123456789012:user/alice',
        'CreateDate': ts('2026-11-21T04:02:43.000000'), 'Tags': [{'Key': 'a', 'Value': 'b'}]}}),
    ('iam-list-users', 'iam', 'ListUsers', {}, {
        'Users': [{'Path': '/', 'UserName': 'u1', 'UserId': 'I1', 'Arn': 'arn:aws:iam::1:user/u1',
                   'CreateDate': ts('2026-11-21T04:02:43.500000')},
                  {'Path': '/x/', 'UserName': 'u2', 'UserId': 'I2', 'Arn': 'arn:aws:iam::1:user/x/u2',
                   'CreateDate': ts('2025-01-01T00:00:00.000000'), 'PasswordLastUsed': ts('2025-06-01T12:00:00.000000')}],
        'IsTruncated': True, 'Marker': 'next'}),
    ('iam-list-users-empty', 'iam', 'ListUsers', {}, {'Users': [], 'IsTruncated': False}),
    ('iam-delete-user', 'iam', 'DeleteUser', {'UserName': 'alice'}, None),
    ('iam-get-account-summary', 'iam', 'GetAccountSummary', {}, {'SummaryMap': {'Users': 3, 'Groups': 0}}),
    ('sqs-receive-message', 'sqs', 'ReceiveMessage', {'QueueUrl': 'http://q'}, {'Messages': [{
        'MessageId': 'm1', 'ReceiptHandle': 'rh', 'MD5OfBody': 'x', 'Body': 'hello <world>',
        'Attributes': {'SenderId': 'A', 'SentTimestamp': '1'},
        'MessageAttributes': {'color': {'StringValue': 'blue', 'DataType': 'String'}}}]}),
    ('sqs-get-queue-attributes', 'sqs', 'GetQueueAttributes', {'QueueUrl': 'http://q'}, {
        'Attributes': {'VisibilityTimeout': '30', 'QueueArn': 'arn:aws:sqs:us-east-1:1:q'}}),
    ('sns-get-topic-attributes', 'sns', 'GetTopicAttributes', {'TopicArn': 'arn:aws:sns:us-east-1:1:t'}, {
        'Attributes': {'DisplayName': 'T', 'Owner': '1'}}),
    ('cloudwatch-get-metric-statistics', 'cloudwatch', 'GetMetricStatistics', {
        'Namespace': 'n', 'MetricName': 'm', 'StartTime': ts('2026-01-01T00:00:00.000000'),
        'EndTime': ts('2026-01-02T00:00:00.000000'), 'Period': 60}, {
        'Label': 'm', 'Datapoints': [{'Timestamp': ts('2026-01-01T00:01:00.000000'), 'Average': 0.125,
                                      'Maximum': 1.5, 'Unit': 'Seconds'}]}),
    ('kinesis-list-streams', 'kinesis', 'ListStreams', {}, {
        'StreamNames': ['a', 'b'], 'HasMoreStreams': False,
        'StreamSummaries': [{'StreamName': 'a', 'StreamARN': 'arn:aws:kinesis:us-east-1:1:stream/a',
                             'StreamStatus': 'ACTIVE', 'StreamCreationTimestamp': ts('2026-11-21T04:02:43.123000')}]}),
    ('kinesis-get-records', 'kinesis', 'GetRecords', {'ShardIterator': 'it'}, {
        'Records': [{'SequenceNumber': '1', 'ApproximateArrivalTimestamp': ts('2026-11-21T04:02:43.001000'),
                     'Data': b'\x00\x01\xff', 'PartitionKey': 'p'}],
        'NextShardIterator': 'it2', 'MillisBehindLatest': 0}),
    ('kinesis-put-record', 'kinesis', 'PutRecord', {'StreamName': 's', 'Data': b'x', 'PartitionKey': 'p'}, {
        'ShardId': 'shardId-000000000000', 'SequenceNumber': '49590338271490256608559692538361571095921575989136588898'}),
    ('kinesis-delete-stream', 'kinesis', 'DeleteStream', {'StreamName': 's'}, None),
    ('sagemaker-describe-training-job', 'sagemaker', 'DescribeTrainingJob', {'TrainingJobName': 'j'}, {
        'TrainingJobName': 'j', 'TrainingJobArn': 'arn:aws:sagemaker:us-east-1:1:training-job/j',
        'ModelArtifacts': {'S3ModelArtifacts': 's3://b/out/j/output/model.tar.gz'},
        'TrainingJobStatus': 'Completed', 'SecondaryStatus': 'Completed',
        'HyperParameters': {'eta': '0.2'},
        'AlgorithmSpecification': {'TrainingImage': 'xgboost', 'TrainingInputMode': 'File'},
        'ResourceConfig': {'InstanceType': 'ml.m5.large', 'InstanceCount': 1, 'VolumeSizeInGB': 10},
        'StoppingCondition': {'MaxRuntimeInSeconds': 3600},
        'CreationTime': ts('2026-11-21T04:02:43.123000'), 'TrainingStartTime': ts('2026-11-21T04:03:00.000000'),
        'FinalMetricDataList': [{'MetricName': 'auc', 'Value': 0.875, 'Timestamp': ts('2026-11-21T04:10:00.500000')}],
        'SecondaryStatusTransitions': [{'Status': 'Starting', 'StartTime': ts('2026-11-21T04:02:43.123000'),
                                        'StatusMessage': 'Starting'}],
        'EnableNetworkIsolation': False, 'BillableTimeInSeconds': 42}),
    ('lambda-invoke', 'lambda', 'Invoke', {'FunctionName': 'f'}, {
        'StatusCode': 200, 'FunctionError': 'Unhandled', 'LogResult': base64.b64encode(b'log').decode(),
        'Payload': b'{"ok": true}', 'ExecutedVersion': '$LATEST'}),
    ('lambda-invoke-async', 'lambda', 'Invoke', {'FunctionName': 'f', 'InvocationType': 'Event'}, {
        'StatusCode': 202, 'Payload': b''}),
    ('lambda-list-functions', 'lambda', 'ListFunctions', {}, {
        'NextMarker': 'n', 'Functions': [{'FunctionName': 'f', 'Runtime': 'python3.12', 'MemorySize': 128,
                                          'LastModified': '2026-11-21T04:02:43.000+0000', 'CodeSize': 10,
                                          'Environment': {'Variables': {'A': 'B'}}}]}),
    ('lambda-delete-function', 'lambda', 'DeleteFunction', {'FunctionName': 'f'}, None),
    ('sagemaker-runtime-invoke-endpoint', 'sagemaker-runtime', 'InvokeEndpoint', {'EndpointName': 'e', 'Body': b'1'}, {
        'Body': b'[0.25, 0.75]\n', 'ContentType': 'application/json', 'InvokedProductionVariant': 'v1',
        'CustomAttributes': 'c=1'}),
    ('lex-runtime-post-content', 'lex-runtime', 'PostContent', {
        'botName': 'bot', 'botAlias': 'alias', 'userId': 'user', 'contentType': 'text/plain; charset=utf-8', 'inputStream': b'hi'}, {
        'contentType': 'audio/mpeg', 'intentName': 'OrderPizza', 'slots': {'size': 'large', 'crust': None},
        'sessionAttributes': {'cart': '2 items'}, 'dialogState': 'Fulfilled', 'message': 'Done',
        'audioStream': b'\x49\x44\x33audio'}),
    ('apigateway-get-export', 'apigateway', 'GetExport', {'restApiId': 'a', 'stageName': 's', 'exportType': 'oas30'}, {
        'contentType': 'application/yaml', 'contentDisposition': 'attachment; filename="api.yaml"',
        'body': b'openapi: 3.0.1\n'}),
    ('s3-get-object', 's3', 'GetObject', {'Bucket': 'b', 'Key': 'k'}, {
        'Body': b'\x00\x01binary\xff' * 1000, 'ContentLength': 9000, 'ContentType': 'application/octet-stream',
        'ETag': '"abc"', 'LastModified': ts('2026-11-21T04:02:43.000000'), 'VersionId': 'v1',
        'Metadata': {'color': 'blue', 'x': 'y z'}, 'AcceptRanges': 'bytes', 'StorageClass': 'STANDARD_IA',
        'TagCount': 2, 'DeleteMarker': False}),
    ('s3-head-object', 's3', 'HeadObject', {'Bucket': 'b', 'Key': 'k'}, {
        'ContentLength': 5, 'ETag': '"e"', 'LastModified': ts('2026-11-21T04:02:43.000000'),
        'Metadata': {'m': '1'}, 'ServerSideEncryption': 'AES256'}),
    ('s3-put-object', 's3', 'PutObject', {'Bucket': 'b', 'Key': 'k', 'Body': b'x'}, {
        'ETag': '"e"', 'VersionId': 'v2', 'ServerSideEncryption': 'aws:kms', 'SSEKMSKeyId': 'key-1'}),
    ('s3-list-objects-v2', 's3', 'ListObjectsV2', {'Bucket': 'b'}, {
        'IsTruncated': True, 'Name': 'b', 'Prefix': 'logs/', 'Delimiter': '/', 'MaxKeys': 2, 'KeyCount': 3,
        'NextContinuationToken': 'n', 'EncodingType': 'url',
        'Contents': [{'Key': 'logs/a&b.txt', 'LastModified': ts('2026-11-21T04:02:43.123000'), 'ETag': '"e1"',
                      'Size': 12, 'StorageClass': 'STANDARD', 'Owner': {'ID': 'o1', 'DisplayName': 'me'}},
                     {'Key': 'logs/c.txt', 'LastModified': ts('2026-11-21T04:02:44.000000'), 'ETag': '"e2"',
                      'Size': 0, 'StorageClass': 'GLACIER', 'ChecksumAlgorithm': ['CRC32']}],
        'CommonPrefixes': [{'Prefix': 'logs/2026/'}]}),
    ('s3-list-objects-v2-empty', 's3', 'ListObjectsV2', {'Bucket': 'b'}, {
        'IsTruncated': False, 'Name': 'b', 'Prefix': '', 'MaxKeys': 1000, 'KeyCount': 0}),
    ('s3-list-buckets', 's3', 'ListBuckets', {}, {
        'Buckets': [{'Name': 'a', 'CreationDate': ts('2026-01-01T00:00:00.000000')},
                    {'Name': 'b', 'CreationDate': ts('2026-02-01T00:00:00.000000')}],
        'Owner': {'ID': 'o1', 'DisplayName': 'me'}}),
    ('s3-get-bucket-location', 's3', 'GetBucketLocation', {'Bucket': 'b'}, {'LocationConstraint': 'eu-west-1'}),
    ('s3-get-bucket-location-us-east-1', 's3', 'GetBucketLocation', {'Bucket': 'b'}, {}),
    ('s3-create-bucket', 's3', 'CreateBucket', {'Bucket': 'b'}, {'Location': '/b'}),
    ('s3-delete-objects', 's3', 'DeleteObjects', {'Bucket': 'b', 'Delete': {'Objects': [{'Key': 'a'}]}}, {
        'Deleted': [{'Key': 'a'}, {'Key': 'b', 'VersionId': 'v', 'DeleteMarker': True, 'DeleteMarkerVersionId': 'dm'}],
        'Errors': [{'Key': 'c', 'Code': 'AccessDenied', 'Message': 'Access Denied'}]}),
    ('s3-create-multipart-upload', 's3', 'CreateMultipartUpload', {'Bucket': 'b', 'Key': 'k'}, {
        'Bucket': 'b', 'Key': 'k', 'UploadId': 'u1', 'ServerSideEncryption': 'AES256'}),
    ('s3-complete-multipart-upload', 's3', 'CompleteMultipartUpload', {'Bucket': 'b', 'Key': 'k', 'UploadId': 'u'}, {
        'Location': 'http://localhost/b/k', 'Bucket': 'b', 'Key': 'k', 'ETag': '"e-2"', 'VersionId': 'v3'}),
    ('s3-copy-object', 's3', 'CopyObject', {'Bucket': 'b', 'Key': 'k', 'CopySource': 'src/k'}, {
        'CopyObjectResult': {'ETag': '"e"', 'LastModified': ts('2026-11-21T04:02:43.000000')},
        'CopySourceVersionId': 'sv', 'VersionId': 'v'}),
    ('s3-get-object-tagging', 's3', 'GetObjectTagging', {'Bucket': 'b', 'Key': 'k'}, {
        'VersionId': 'v1', 'TagSet': [{'Key': 'a', 'Value': '1'}, {'Key': 'b', 'Value': ''}]}),
    ('s3-get-object-tagging-empty', 's3', 'GetObjectTagging', {'Bucket': 'b', 'Key': 'k'}, {'TagSet': []}),
    ('s3-get-bucket-acl', 's3', 'GetBucketAcl', {'Bucket': 'b'}, {
        'Owner': {'ID': 'o1'},
        'Grants': [{'Grantee': {'Type': 'CanonicalUser', 'ID': 'o1', 'DisplayName': 'me'}, 'Permission': 'FULL_CONTROL'},
                   {'Grantee': {'Type': 'Group', 'URI': 'http://acs.amazonaws.com/groups/global/AllUsers'},
                    'Permission': 'READ'}]}),
    ('s3-get-bucket-policy', 's3', 'GetBucketPolicy', {'Bucket': 'b'}, {'Policy': '{"Version":"2012-10-17"}'}),
    ('s3-get-bucket-lifecycle-configuration', 's3', 'GetBucketLifecycleConfiguration', {'Bucket': 'b'}, {
        'Rules': [{'ID': 'r', 'Status': 'Enabled', 'Filter': {'Prefix': 'logs/'}, 'Expiration': {'Days': 30},
                   'Transitions': [{'Date': ts('2027-01-01T00:00:00.000000'), 'StorageClass': 'GLACIER'}]}]}),
    ('s3-get-bucket-versioning', 's3', 'GetBucketVersioning', {'Bucket': 'b'}, {'Status': 'Enabled', 'MFADelete': 'Disabled'}),
    ('s3-get-bucket-encryption', 's3', 'GetBucketEncryption', {'Bucket': 'b'}, {
        'ServerSideEncryptionConfiguration': {'Rules': [{'ApplyServerSideEncryptionByDefault': {
            'SSEAlgorithm': 'aws:kms', 'KMSMasterKeyID': 'k1'}, 'BucketKeyEnabled': True}]}}),
    ('s3-list-multipart-uploads', 's3', 'ListMultipartUploads', {'Bucket': 'b'}, {
        'Bucket': 'b', 'IsTruncated': False, 'MaxUploads': 1000,
        'Uploads': [{'UploadId': 'u1', 'Key': 'k', 'Initiated': ts('2026-11-21T04:02:43.000000'),
                     'StorageClass': 'STANDARD'}]}),
    ('s3-delete-object', 's3', 'DeleteObject', {'Bucket': 'b', 'Key': 'k'}, {'DeleteMarker': True, 'VersionId': 'dm1'}),
    ('s3control-get-public-access-block', 's3control', 'GetPublicAccessBlock', {'AccountId': '123456789012'}, {
        'PublicAccessBlockConfiguration': {'BlockPublicAcls': True, 'IgnorePublicAcls': True,
                                           'BlockPublicPolicy': False, 'RestrictPublicBuckets': True}}),
    # errors
    ('iam-error-no-such-entity', 'iam', 'GetUser', {'UserName': 'ghost'},
     {'error': {'code': 'NoSuchEntity', 'message': 'The user with name ghost cannot be found.'}}),
    ('sts-error-not-implemented', 'sts', 'GetSessionToken', {},
     {'error': {'not_implemented': True}}),
    ('sqs-error-receiver', 'sqs', 'GetQueueUrl', {'QueueName': 'q'},
     {'error': {'code': 'InternalFailure', 'message': 'boom', 'status': 500, 'sender_fault': False}}),
    ('kinesis-error-not-found', 'kinesis', 'DescribeStream', {'StreamName': 's'},
     {'error': {'code': 'ResourceNotFoundException', 'message': 'Stream s under account 1 not found.'}}),
    ('kinesis-error-not-implemented', 'kinesis', 'SplitShard',
     {'StreamName': 's', 'ShardToSplit': 'x', 'NewStartingHashKey': '1'},
     {'error': {'not_implemented': True}}),
    ('lambda-error-not-found', 'lambda', 'GetFunction', {'FunctionName': 'f'},
     {'error': {'code': 'ResourceNotFoundException', 'message': 'Function not found: f', 'fields': {'Type': 'User'}}}),
    ('lambda-error-not-implemented', 'lambda', 'ListLayers', {}, {'error': {'not_implemented': True}}),
    ('sagemaker-runtime-error-model', 'sagemaker-runtime', 'InvokeEndpoint', {'EndpointName': 'e', 'Body': b'1'},
     {'error': {'code': 'ModelError', 'message': 'Received client error (400) from model',
                'fields': {'OriginalStatusCode': '400', 'OriginalMessage': 'bad input'}}}),
    ('s3-error-no-such-key', 's3', 'GetObject', {'Bucket': 'b', 'Key': 'k'},
     {'error': {'code': 'NoSuchKey', 'message': 'The specified key does not exist.', 'status': 404,
                'fields': {'Key': 'k'}}}),
    ('s3-error-no-such-bucket', 's3', 'ListObjectsV2', {'Bucket': 'b'},
     {'error': {'code': 'NoSuchBucket', 'message': 'The specified bucket does not exist', 'status': 404,
                'fields': {'BucketName': 'b'}}}),
    ('s3-error-head-not-found', 's3', 'HeadObject', {'Bucket': 'b', 'Key': 'k'},
     {'error': {'code': 'NoSuchKey', 'message': 'The specified key does not exist.', 'status': 404}}),
    ('s3-error-not-implemented', 's3', 'GetBucketWebsite', {'Bucket': 'b'}, {'error': {'not_implemented': True}}),
]


# ---------------------------------------------------------------------------------------------

class Captured(Exception):
    def __init__(self, request):
        super().__init__('captured')
        self.request = request


class RawResponse(io.BytesIO):
    """What botocore reads a response body from (urllib3's response in real use)."""

    def stream(self, **kwargs):
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


_clients = {}


def client(service):
    if service not in _clients:
        config = botocore.config.Config(
            s3={'addressing_style': 'path'}, retries={'total_max_attempts': 1})
        _clients[service] = botocore.session.get_session().create_client(
            service, region_name='us-east-1', endpoint_url=ENDPOINT, config=config,
            aws_access_key_id='AKIDEXAMPLE', aws_secret_access_key='wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY')
    return _clients[service]


def iso(value):
    value = value.astimezone(UTC)
    return value.strftime('%Y-%m-%dT%H:%M:%S.') + '%03d' % (value.microsecond // 1000) + 'Z'


def normalize(value, shape):
    if value is None or shape is None:
        return value
    t = shape.type_name
    if t == 'structure':
        return {k: normalize(v, shape.members[k]) for k, v in value.items() if k in shape.members and v is not None}
    if t == 'list':
        return [normalize(v, shape.member) for v in value]
    if t == 'map':
        return {k: normalize(v, shape.value) for k, v in value.items()}
    if t == 'timestamp':
        return iso(value)
    if t == 'blob':
        if hasattr(value, 'read'):
            value = value.read()
        if isinstance(value, str):
            value = value.encode('utf-8')
        return base64.b64encode(value).decode('ascii')
    if t == 'string' and hasattr(value, 'read'):
        return value.read().decode('utf-8')
    if t == 'string' and shape.serialization.get('jsonvalue'):
        # A jsonvalue member holds JSON; Kiln's member is its text, botocore's the decoded value.
        return json.dumps(value, separators=(',', ':'))
    if t in ('float', 'double'):
        return float(value)
    return value


def capture(service, operation, params):
    c = client(service)
    op_model = c.meta.service_model.operation_model(operation)

    def grab(request, **kwargs):
        raise Captured(request)

    # The parameters after botocore's own handlers ran (S3 percent-encodes CopySource, for one):
    # that is what the request carries and what Kiln must read back.
    sent = {}

    def snapshot(params, **kwargs):
        sent.update(copy.deepcopy(params))

    c.meta.events.register_first('before-send', grab)
    c.meta.events.register_last('before-parameter-build', snapshot)
    try:
        getattr(c, botocore_name(c, operation))(**params)
    except Captured as e:
        request = e.request
    finally:
        c.meta.events.unregister('before-send', grab)
        c.meta.events.unregister('before-parameter-build', snapshot)
    url = urllib.parse.urlsplit(request.url)
    body = request.body
    if body is None:
        body = b''
    elif hasattr(body, 'read'):
        body = body.read()
    elif isinstance(body, str):
        body = body.encode('utf-8')
    headers = [[k, v.decode('latin-1') if isinstance(v, bytes) else str(v)] for k, v in request.headers.items()]
    # Members botocore's handlers set that were not among the parameters (S3 checksum headers...):
    # the plain serializer does not add them, so any header it lacks is such a member.
    plain = botocore.serialize.create_serializer(op_model.metadata['protocol']).serialize_to_request(sent, op_model)
    plain_headers = {k.lower() for k in plain['headers']}
    extra = []
    if op_model.input_shape is not None:
        for name, member in op_model.input_shape.members.items():
            if member.serialization.get('location') == 'header':
                header = member.serialization.get('name', name).lower()
                if header not in plain_headers and any(h[0].lower() == header for h in headers) and name not in sent:
                    extra.append(name)
    return {
        'method': request.method,
        'path': url.path,
        'query': url.query,
        'headers': headers,
        'body_b64': base64.b64encode(body).decode('ascii'),
        'expected': normalize(sent, op_model.input_shape) if op_model.input_shape is not None else {},
        'extra_ok': extra,
    }


def botocore_name(c, operation):
    return botocore.xform_name(operation)


def make_fixtures():
    requests = []
    for name, service, operation, params in REQUESTS:
        entry = {'name': name, 'service': service, 'operation': operation}
        entry.update(capture(service, operation, params))
        requests.append(entry)
    responses = []
    for name, service, operation, params, output in RESPONSES:
        c = client(service)
        op_model = c.meta.service_model.operation_model(operation)
        if op_model.input_shape is not None:
            botocore.validate.validate_parameters(params, op_model.input_shape)
        entry = {'name': name, 'service': service, 'operation': operation,
                 'params': normalize(params, op_model.input_shape) if op_model.input_shape is not None else {},
                 'call_params': json.loads(json.dumps(params, default=lambda o: {'$b64': base64.b64encode(o).decode()}
                                                       if isinstance(o, bytes) else {'$ts': iso(o)}))}
        if isinstance(output, dict) and 'error' in output:
            entry['error'] = output['error']
        else:
            entry['output'] = normalize(output, op_model.output_shape) if output is not None else None
        responses.append(entry)
    os.makedirs(os.path.join(HERE, 'fixtures'), exist_ok=True)
    with open(os.path.join(HERE, 'fixtures', 'requests.json'), 'w') as f:
        json.dump(requests, f, indent=1, ensure_ascii=False)
        f.write('\n')
    with open(os.path.join(HERE, 'fixtures', 'responses.json'), 'w') as f:
        json.dump(responses, f, indent=1, ensure_ascii=False)
        f.write('\n')
    print(f'{len(requests)} requests, {len(responses)} responses')


def revive(value):
    """call_params back to Python values (bytes and datetimes)."""
    if isinstance(value, dict):
        if set(value) == {'$b64'}:
            return base64.b64decode(value['$b64'])
        if set(value) == {'$ts'}:
            return datetime.datetime.strptime(value['$ts'], '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=UTC)
        return {k: revive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [revive(v) for v in value]
    return value


def parse(cases):
    results = []
    for case in cases:
        c = client(case['service'])
        op_model = c.meta.service_model.operation_model(case['operation'])
        body = base64.b64decode(case['body_b64'])
        headers = botocore.awsrequest.HeadersDict()
        for k, v in case['headers']:
            headers[k] = v

        def answer(request, **kwargs):
            return botocore.awsrequest.AWSResponse(request.url, case['status'], headers, RawResponse(body))

        c.meta.events.register_first('before-send', answer)
        try:
            parsed = getattr(c, botocore_name(c, case['operation']))(**revive(case['params']))
            metadata = parsed.pop('ResponseMetadata', {})
            results.append({'status': metadata.get('HTTPStatusCode'),
                            'request_id': metadata.get('RequestId'),
                            'output': normalize(parsed, op_model.output_shape) if op_model.output_shape else parsed})
        except botocore.exceptions.ClientError as e:
            metadata = e.response.get('ResponseMetadata', {})
            results.append({'status': metadata.get('HTTPStatusCode'), 'request_id': metadata.get('RequestId'),
                            'error': {k: str(v) for k, v in e.response.get('Error', {}).items()},
                            'modeled': {k: str(v) for k, v in e.response.items() if k not in ('Error', 'ResponseMetadata')}})
        except Exception as e:  # a parse failure is a result the test reports, not a crash
            results.append({'exception': f'{type(e).__name__}: {e}'})
        finally:
            c.meta.events.unregister('before-send', answer)
    return results


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == 'parse':
        json.dump(parse(json.load(sys.stdin)), sys.stdout, ensure_ascii=False)
    else:
        make_fixtures()
