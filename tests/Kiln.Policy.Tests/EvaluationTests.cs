using static Kiln.Policy.Tests.Fixtures;

namespace Kiln.Policy.Tests;

/// <summary>Cases from the IAM User Guide's "Policy evaluation logic" chapter and its subpages; each
/// cites the section it is derived from.</summary>
public class EvaluationTests
{
    // "Policy evaluation logic" / "The difference between explicit and implicit denies":
    // "By default, all requests are implicitly denied".
    [Fact]
    public void Evaluate_NoPolicy_ImplicitDenyByIdentity()
    {
        var r = PolicyEvaluator.Evaluate(User("s3:GetObject", "arn:aws:s3:::bucket/key"));
        Assert.Equal(Decision.ImplicitDeny, r.Decision);
        Assert.Equal(PolicyType.IdentityBased, r.PolicyType);
        Assert.Equal(
            "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::bucket/key because no identity-based policy allows the s3:GetObject action",
            AccessDeniedMessage.Format(Bob, "s3:GetObject", r));
    }

    // "Example identity-based and resource-based policy evaluation" (carlossalazar): an identity
    // policy allowing s3:List*/Get* on the user's bucket allows GetObject there and nowhere else.
    [Fact]
    public void Evaluate_IdentityAllow_AllowsOnlyMatchingResource()
    {
        var p = Identity(Allow("s3:Get*", "arn:aws:s3:::bucket/team-a/*"));
        var allowed = PolicyEvaluator.Evaluate(User("s3:GetObject", "arn:aws:s3:::bucket/team-a/x", p));
        Assert.Equal(Decision.Allow, allowed.Decision);
        Assert.Same(p.Statements[0], allowed.Statement);
        Assert.Equal(Decision.ImplicitDeny, Decide(User("s3:GetObject", "arn:aws:s3:::bucket/team-b/x", p)));
        Assert.Equal(Decision.ImplicitDeny, Decide(User("s3:PutObject", "arn:aws:s3:::bucket/team-a/x", p)));
    }

    // "The difference between explicit and implicit denies": "the Deny statement trumps the Allow".
    [Fact]
    public void Evaluate_DenyAndAllow_ExplicitDenyWins()
    {
        var allow = Identity(Allow("s3:*", "*"));
        var deny = Identity("""{"Sid":"NoSecrets","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/secret/*"}""");
        var r = PolicyEvaluator.Evaluate(User("s3:GetObject", "arn:aws:s3:::bucket/secret/a", allow, deny));
        Assert.Equal(Decision.ExplicitDeny, r.Decision);
        Assert.Equal("NoSecrets", r.Statement!.Sid);
        Assert.Equal(
            "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::bucket/secret/a with an explicit deny in an identity-based policy",
            AccessDeniedMessage.Format(Bob, "s3:GetObject", r));
    }

    // "Evaluating identity-based policies with resource-based policies": "If an action is allowed by
    // an identity-based policy, a resource-based policy, or both, then AWS allows the action."
    [Fact]
    public void Evaluate_SameAccountBucketPolicyAlone_Allows()
    {
        var rbp = Resource(AllowTo($"{{\"AWS\":\"{Bob}\"}}", "s3:GetObject", "arn:aws:s3:::bucket/*"));
        var r = PolicyEvaluator.Evaluate(User("s3:GetObject", "arn:aws:s3:::bucket/k"));
        Assert.Equal(Decision.ImplicitDeny, r.Decision);
        var req = new AuthorizationRequest
        {
            PrincipalArn = Bob, PrincipalAccount = Account, Action = "s3:GetObject",
            Resources = ["arn:aws:s3:::bucket/k"], ResourcePolicy = rbp, ResourceAccount = Account,
        };
        var allowed = PolicyEvaluator.Evaluate(req);
        Assert.Equal(Decision.Allow, allowed.Decision);
        Assert.Equal(PolicyType.ResourceBased, allowed.PolicyType);
    }

    // Deny evaluation: "An explicit deny in any of these policies overrides the allow" — here a
    // bucket policy Deny against an identity Allow.
    [Fact]
    public void Evaluate_ResourcePolicyDeny_OverridesIdentityAllow()
    {
        var rbp = Resource("""{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::bucket/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}""");
        var req = User("s3:GetObject", "arn:aws:s3:::bucket/k", Identity(Allow("s3:*", "*")));
        var insecure = PolicyEvaluator.Evaluate(new AuthorizationRequest
        {
            PrincipalArn = req.PrincipalArn, PrincipalAccount = Account, Action = req.Action, Resources = req.Resources,
            IdentityPolicies = req.IdentityPolicies, ResourcePolicy = rbp, SecureTransport = false,
        });
        Assert.Equal(Decision.ExplicitDeny, insecure.Decision);
        Assert.Equal(PolicyType.ResourceBased, insecure.PolicyType);
        Assert.Equal(
            "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::bucket/k\" with an explicit deny in a resource-based policy",
            AccessDeniedMessage.Format(Bob, "s3:GetObject", insecure, quoteResource: true));
        var secure = PolicyEvaluator.Evaluate(new AuthorizationRequest
        {
            PrincipalArn = req.PrincipalArn, PrincipalAccount = Account, Action = req.Action, Resources = req.Resources,
            IdentityPolicies = req.IdentityPolicies, ResourcePolicy = rbp, SecureTransport = true,
        });
        Assert.Equal(Decision.Allow, secure.Decision);
    }

    // "Cross-account policy evaluation logic": "both the identity-based policy and the
    // resource-based policy must allow".
    [Theory]
    [InlineData(true, true, Decision.Allow, PolicyType.ResourceBased)]
    [InlineData(true, false, Decision.ImplicitDeny, PolicyType.ResourceBased)]
    [InlineData(false, true, Decision.ImplicitDeny, PolicyType.IdentityBased)]
    [InlineData(false, false, Decision.ImplicitDeny, PolicyType.IdentityBased)]
    public void Evaluate_CrossAccount_BothSidesMustAllow(bool identityAllows, bool resourceAllows, Decision expected, PolicyType type)
    {
        var callerArn = "arn:aws:iam::444455556666:user/alice";
        var rbp = resourceAllows
            ? Resource(AllowTo("""{"AWS":"444455556666"}""", "s3:GetObject", "arn:aws:s3:::bucket/*"))
            : Resource(AllowTo("""{"AWS":"999988887777"}""", "s3:GetObject", "arn:aws:s3:::bucket/*"));
        var r = PolicyEvaluator.Evaluate(new AuthorizationRequest
        {
            PrincipalArn = callerArn, PrincipalAccount = OtherAccount, Action = "s3:GetObject",
            Resources = ["arn:aws:s3:::bucket/k"], ResourceAccount = Account, ResourcePolicy = rbp,
            IdentityPolicies = identityAllows ? [Identity(Allow("s3:GetObject", "*"))] : [],
        });
        Assert.Equal(expected, r.Decision);
        if (expected != Decision.Allow)
        {
            Assert.Equal(type, r.PolicyType);
        }
    }

    // Same account, account principal only: "Principal":{"AWS":"111122223333"} delegates to IAM
    // (AWS KMS "Default key policy" / "AWS account principals"): no identity allow → deny.
    [Fact]
    public void Evaluate_SameAccountAccountPrincipal_DelegatesToIdentity()
    {
        var rbp = Resource(AllowTo("""{"AWS":"arn:aws:iam::111122223333:root"}""", "s3:GetObject", "*"));
        AuthorizationRequest Req(params Policy[] id) => new()
        {
            PrincipalArn = Bob, PrincipalAccount = Account, Action = "s3:GetObject", Resources = ["arn:aws:s3:::b/k"],
            ResourcePolicy = rbp, IdentityPolicies = id,
        };
        Assert.Equal(Decision.ImplicitDeny, Decide(Req()));
        Assert.Equal(Decision.Allow, Decide(Req(Identity(Allow("s3:GetObject", "*")))));
    }

    // "Permissions boundaries for IAM entities" (ShirleyRodriguez): the boundary allows s3/cloudwatch/
    // ec2; an identity policy allowing iam:CreateUser is not enough.
    [Fact]
    public void Evaluate_BoundaryExcludesAction_ImplicitDenyByBoundary()
    {
        var boundary = Identity(Allow("s3:*", "*") + "," + Allow("cloudwatch:*", "*") + "," + Allow("ec2:*", "*"));
        var req = new AuthorizationRequest
        {
            PrincipalArn = "arn:aws:iam::111122223333:user/ShirleyRodriguez", PrincipalAccount = Account,
            Action = "iam:CreateUser", Resources = ["arn:aws:iam::111122223333:user/new"],
            IdentityPolicies = [Identity(Allow("iam:CreateUser", "*"))], PermissionsBoundary = boundary,
        };
        var r = PolicyEvaluator.Evaluate(req);
        Assert.Equal(Decision.ImplicitDeny, r.Decision);
        Assert.Equal(PolicyType.PermissionsBoundary, r.PolicyType);
        Assert.Equal(
            "User: arn:aws:iam::111122223333:user/ShirleyRodriguez is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::111122223333:user/new because no permissions boundary allows the iam:CreateUser action",
            AccessDeniedMessage.Format(req.PrincipalArn, req.Action, r));
        // "it limits the user's permissions but does not provide permissions on its own"
        var s3 = new AuthorizationRequest
        {
            PrincipalArn = req.PrincipalArn, PrincipalAccount = Account, Action = "s3:GetObject",
            Resources = ["arn:aws:s3:::b/k"], PermissionsBoundary = boundary,
        };
        Assert.Equal(PolicyType.IdentityBased, PolicyEvaluator.Evaluate(s3).PolicyType);
    }

    // "Permissions boundaries ... XCompanyBoundaries": a Deny in the boundary is an explicit deny.
    [Fact]
    public void Evaluate_BoundaryDeny_ExplicitDenyInBoundary()
    {
        var boundary = Identity(Allow("s3:*", "*") + "," + Deny("s3:*", "arn:aws:s3:::logs/*"));
        var req = User("s3:GetObject", "arn:aws:s3:::logs/x", Identity(Allow("s3:*", "*")));
        var r = PolicyEvaluator.Evaluate(new AuthorizationRequest
        {
            PrincipalArn = Bob, PrincipalAccount = Account, Action = req.Action, Resources = req.Resources,
            IdentityPolicies = req.IdentityPolicies, PermissionsBoundary = boundary,
        });
        Assert.Equal(Decision.ExplicitDeny, r.Decision);
        Assert.EndsWith("with an explicit deny in a permissions boundary", AccessDeniedMessage.Format(Bob, req.Action, r));
    }

    // "How AWS enforcement code logic evaluates requests", resource-based policies: grants to an IAM
    // user ARN are not limited by an implicit deny in the boundary; grants to a role ARN are; grants
    // to a role session ARN are not.
    [Theory]
    [InlineData("user", Decision.Allow)]
    [InlineData("role", Decision.ImplicitDeny)]
    [InlineData("session", Decision.Allow)]
    public void Evaluate_SameAccountResourceGrantWithBoundary_FollowsPrincipalKind(string grantTo, Decision expected)
    {
        var boundary = Identity(Allow("ec2:*", "*"));
        var isUser = grantTo == "user";
        var named = grantTo switch { "user" => Bob, "role" => RoleArn, _ => SessionArn };
        var rbp = Resource(AllowTo($"{{\"AWS\":\"{named}\"}}", "s3:GetObject", "*"));
        var r = PolicyEvaluator.Evaluate(new AuthorizationRequest
        {
            PrincipalArn = isUser ? Bob : SessionArn, PrincipalAccount = Account,
            PrincipalType = isUser ? PrincipalType.User : PrincipalType.AssumedRole,
            Action = "s3:GetObject", Resources = ["arn:aws:s3:::b/k"],
            ResourcePolicy = rbp, ResourceAccount = Account, PermissionsBoundary = boundary,
        });
        Assert.Equal(expected, r.Decision);
        if (expected == Decision.ImplicitDeny)
        {
            Assert.Equal(PolicyType.PermissionsBoundary, r.PolicyType);
        }
    }

    // "Session policies": "The resulting session's permissions are the intersection of the role's
    // identity-based policies and the session policies."
    [Fact]
    public void Evaluate_SessionPolicy_Intersects()
    {
        var role = Identity(Allow("s3:*", "*"));
        var session = Identity(Allow("s3:GetObject", "arn:aws:s3:::b/public/*"));
        AuthorizationRequest Req(string resource, string action) => new()
        {
            PrincipalArn = SessionArn, PrincipalAccount = Account, PrincipalType = PrincipalType.AssumedRole,
            Action = action, Resources = [resource], IdentityPolicies = [role], SessionPolicies = [session],
        };
        Assert.Equal(Decision.Allow, Decide(Req("arn:aws:s3:::b/public/x", "s3:GetObject")));
        var denied = PolicyEvaluator.Evaluate(Req("arn:aws:s3:::b/public/x", "s3:PutObject"));
        Assert.Equal(Decision.ImplicitDeny, denied.Decision);
        Assert.Equal(PolicyType.SessionPolicy, denied.PolicyType);
        Assert.EndsWith("because no session policy allows the s3:PutObject action", AccessDeniedMessage.Format(SessionArn, "s3:PutObject", denied));
        // "Session policies ... cannot be used to grant more permissions than those allowed by the
        // identity-based policy of the role".
        var narrowRole = Identity(Allow("s3:ListBucket", "*"));
        Assert.Equal(Decision.ImplicitDeny, Decide(new AuthorizationRequest
        {
            PrincipalArn = SessionArn, PrincipalAccount = Account, PrincipalType = PrincipalType.AssumedRole,
            Action = "s3:GetObject", Resources = ["arn:aws:s3:::b/public/x"], IdentityPolicies = [narrowRole], SessionPolicies = [session],
        }));
    }

    // "Session policies": a Deny in a session policy is an explicit deny.
    [Fact]
    public void Evaluate_SessionPolicyDeny_ExplicitDenyInSessionPolicy()
    {
        var r = PolicyEvaluator.Evaluate(new AuthorizationRequest
        {
            PrincipalArn = SessionArn, PrincipalAccount = Account, PrincipalType = PrincipalType.AssumedRole,
            Action = "s3:DeleteObject", Resources = ["arn:aws:s3:::b/k"],
            IdentityPolicies = [Identity(Allow("s3:*", "*"))],
            SessionPolicies = [Identity(Allow("s3:*", "*") + "," + Deny("s3:Delete*", "*"))],
        });
        Assert.Equal(Decision.ExplicitDeny, r.Decision);
        Assert.Equal(PolicyType.SessionPolicy, r.PolicyType);
    }

    // "Policy evaluation logic": root "has full access"; a bucket policy Deny still applies to it.
    [Fact]
    public void Evaluate_Root_AllowedUnlessResourceDeny()
    {
        var root = "arn:aws:iam::111122223333:root";
        AuthorizationRequest Req(Policy? rbp) => new()
        {
            PrincipalArn = root, PrincipalAccount = Account, PrincipalType = PrincipalType.Root,
            Action = "s3:DeleteBucket", Resources = ["arn:aws:s3:::b"], ResourcePolicy = rbp,
        };
        Assert.Equal(Decision.Allow, Decide(Req(null)));
        Assert.Equal(Decision.ExplicitDeny, Decide(Req(Resource("""{"Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::b"}"""))));
    }

    // "Policy evaluation logic" exceptions: "IAM role trust policies and KMS key policies" must
    // allow even in the same account; a trust policy naming the user allows with no identity policy.
    [Fact]
    public void Evaluate_TrustPolicy_RequiredEvenSameAccount()
    {
        var trust = Policy.Parse("""{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"sts:AssumeRole"}}""", PolicyKind.Trust);
        AuthorizationRequest Req(Policy? t, params Policy[] id) => new()
        {
            PrincipalArn = Bob, PrincipalAccount = Account, Action = "sts:AssumeRole", Resources = [RoleArn],
            ResourcePolicy = t, ResourcePolicyRequired = true, IdentityPolicies = id,
        };
        Assert.Equal(Decision.Allow, Decide(Req(trust)));
        var none = PolicyEvaluator.Evaluate(Req(null, Identity(Allow("sts:AssumeRole", "*"))));
        Assert.Equal(Decision.ImplicitDeny, none.Decision);
        Assert.Equal(PolicyType.ResourceBased, none.PolicyType);
        // A service principal (SageMaker assuming a job's role).
        var svcTrust = Policy.Parse("""{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}}""", PolicyKind.Trust);
        Assert.Equal(Decision.Allow, Decide(new AuthorizationRequest
        {
            PrincipalArn = "sagemaker.amazonaws.com", PrincipalType = PrincipalType.Service, Action = "sts:AssumeRole",
            Resources = [RoleArn], ResourceAccount = Account, ResourcePolicy = svcTrust, ResourcePolicyRequired = true,
        }));
    }

    // "AWS JSON policy elements: NotPrincipal": Deny everyone except the listed user and its account.
    [Theory]
    [InlineData("arn:aws:iam::111122223333:user/bob", false, Decision.Allow)]
    [InlineData("arn:aws:iam::111122223333:user/eve", false, Decision.ExplicitDeny)]
    [InlineData("arn:aws:iam::111122223333:user/bob", true, Decision.ExplicitDeny)]
    public void Evaluate_NotPrincipalDeny_ExemptsOnlyListed(string caller, bool withBoundary, Decision expected)
    {
        var rbp = Resource(
            """{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/bob","arn:aws:iam::111122223333:root"]},"Action":"s3:*","Resource":"*"}""");
        var r = PolicyEvaluator.Evaluate(new AuthorizationRequest
        {
            PrincipalArn = caller, PrincipalAccount = Account, Action = "s3:GetObject", Resources = ["arn:aws:s3:::b/k"],
            IdentityPolicies = [Identity(Allow("s3:*", "*"))], ResourcePolicy = rbp,
            // "The NotPrincipal element with a Deny effect will always deny any IAM principal that has
            // a permissions boundary policy attached" (Permissions boundaries for IAM entities).
            PermissionsBoundary = withBoundary ? Identity(Allow("s3:*", "*")) : null,
        });
        Assert.Equal(expected, r.Decision);
    }

    // "NotPrincipal": without the account ARN the user is not exempt ("you must also include the
    // account ARN").
    [Fact]
    public void Evaluate_NotPrincipalWithoutAccount_DeniesListedUser()
    {
        var rbp = Resource("""{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"s3:*","Resource":"*"}""");
        Assert.Equal(Decision.ExplicitDeny, Decide(new AuthorizationRequest
        {
            PrincipalArn = Bob, PrincipalAccount = Account, Action = "s3:GetObject", Resources = ["arn:aws:s3:::b/k"],
            IdentityPolicies = [Identity(Allow("s3:*", "*"))], ResourcePolicy = rbp,
        }));
    }

    // "IAM JSON policy elements: NotAction": Allow everything except IAM.
    [Theory]
    [InlineData("s3:GetObject", Decision.Allow)]
    [InlineData("iam:CreateUser", Decision.ImplicitDeny)]
    [InlineData("IAM:createuser", Decision.ImplicitDeny)]
    public void Evaluate_NotAction_AllowsAllButListed(string action, Decision expected)
    {
        var p = Identity("""{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}""");
        Assert.Equal(expected, Decide(User(action, "arn:aws:s3:::b/k", p)));
    }

    // "IAM JSON policy elements: NotResource": Deny s3 everywhere except one bucket.
    [Theory]
    [InlineData("arn:aws:s3:::home/bob/x", Decision.Allow)]
    [InlineData("arn:aws:s3:::other/x", Decision.ExplicitDeny)]
    public void Evaluate_NotResourceDeny_DeniesOutside(string resource, Decision expected)
    {
        var p = Identity(Allow("s3:*", "*") + ",{\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"NotResource\":[\"arn:aws:s3:::home\",\"arn:aws:s3:::home/*\"]}");
        Assert.Equal(expected, Decide(User("s3:GetObject", resource, p)));
    }

    // Multiple resources in one request: each must be allowed; the first denied is reported.
    [Fact]
    public void Evaluate_MultipleResources_EachMustBeAllowed()
    {
        var p = Identity(Allow("s3:*", "arn:aws:s3:::src/*"));
        var r = PolicyEvaluator.Evaluate(new AuthorizationRequest
        {
            PrincipalArn = Bob, PrincipalAccount = Account, Action = "s3:GetObject",
            Resources = ["arn:aws:s3:::src/a", "arn:aws:s3:::dst/a"], IdentityPolicies = [p],
        });
        Assert.Equal(Decision.ImplicitDeny, r.Decision);
        Assert.Equal("arn:aws:s3:::dst/a", r.Resource);
    }

    // Actions without a resource ("Actions, resources, and condition keys": resource "*").
    [Fact]
    public void Evaluate_NoResource_MatchesStarOnlyAndMessageOmitsResource()
    {
        var star = Identity(Allow("s3:ListAllMyBuckets", "*"));
        var arn = Identity(Allow("s3:ListAllMyBuckets", "arn:aws:s3:::*"));
        AuthorizationRequest Req(Policy p) => new() { PrincipalArn = Bob, PrincipalAccount = Account, Action = "s3:ListAllMyBuckets", IdentityPolicies = [p] };
        Assert.Equal(Decision.Allow, Decide(Req(star)));
        var r = PolicyEvaluator.Evaluate(Req(arn));
        Assert.Equal(Decision.ImplicitDeny, r.Decision);
        Assert.Equal(
            "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: s3:ListAllMyBuckets because no identity-based policy allows the s3:ListAllMyBuckets action",
            AccessDeniedMessage.Format(Bob, "s3:ListAllMyBuckets", r));
    }

    // Anonymous callers only get what a "Principal": "*" grant gives ("Anonymous (public) access").
    [Fact]
    public void Evaluate_Anonymous_OnlyPublicGrant()
    {
        var pub = Resource(AllowTo("\"*\"", "s3:GetObject", "arn:aws:s3:::site/*"));
        AuthorizationRequest Req(Policy? p) => new()
        {
            PrincipalArn = "*", PrincipalType = PrincipalType.Anonymous, Action = "s3:GetObject",
            Resources = ["arn:aws:s3:::site/index.html"], ResourcePolicy = p, ResourceAccount = Account,
        };
        Assert.Equal(Decision.Allow, Decide(Req(pub)));
        var denied = PolicyEvaluator.Evaluate(Req(null));
        Assert.Equal(Decision.ImplicitDeny, denied.Decision);
        Assert.StartsWith("User: anonymous is not authorized", AccessDeniedMessage.Format("*", "s3:GetObject", denied));
    }

    [Fact]
    public void ToException_Denied_IsAccessDenied403()
    {
        var r = PolicyEvaluator.Evaluate(User("s3:GetObject", "arn:aws:s3:::b/k"));
        var e = AccessDeniedMessage.ToException(Bob, "s3:GetObject", r);
        Assert.Equal("AccessDenied", e.Code);
        Assert.Equal(403, e.StatusCode);
    }
}
