using System.Text.RegularExpressions;
using Kiln.Core;
using Kiln.Model.Iam;
using Kiln.Policy;
using Kiln.Services.Iam.Domain;

namespace Kiln.Services.Iam.Api;

internal sealed partial class IamApi
{
    [GeneratedRegex(@"\d{12}")]
    private static partial Regex AccountIdPattern();

    public override async Task<SimulatePolicyResponse> SimulatePrincipalPolicyAsync(SimulatePrincipalPolicyRequest input,
        RequestContext context)
    {
        var principal = await iam.PrincipalPoliciesAsync(context.AccountId, input.PolicySourceArn, context.Aborted);
        var identity = principal.Identity;
        identity.AddRange(Inputs(input.PolicyInputList, "PolicyInputList"));
        var boundaries = Inputs(input.PermissionsBoundaryPolicyInputList, "PermissionsBoundaryPolicyInputList");
        var caller = input.CallerArn is { } callerArn ? principal.Caller with { PrincipalArn = callerArn } : principal.Caller;
        return Simulate(context, identity, boundaries.FirstOrDefault() ?? principal.Boundary, caller, input.ActionNames,
            input.ResourceArns, input.ResourcePolicy, input.ResourceOwner, input.CallerArn, input.ContextEntries,
            input.Marker, input.MaxItems);
    }

    public override Task<SimulatePolicyResponse> SimulateCustomPolicyAsync(SimulateCustomPolicyRequest input, RequestContext context)
    {
        if (input.PolicyInputList is not { Count: > 0 })
        {
            throw IamErrors.ValidationError(
                "1 validation error detected: Value null at 'policyInputList' failed to satisfy constraint: Member must not be null");
        }

        var identity = Inputs(input.PolicyInputList, "PolicyInputList");
        var boundaries = Inputs(input.PermissionsBoundaryPolicyInputList, "PermissionsBoundaryPolicyInputList");
        var account = context.AccountId;
        var caller = new SimulationCaller(input.CallerArn ?? $"arn:aws:iam::{account}:root", PrincipalType.User, account,
            input.CallerArn is { } arn && arn.Contains(":user/", StringComparison.Ordinal) ? IamNames.NameOf(arn) : null, null, null);
        return Task.FromResult(Simulate(context, identity, boundaries.FirstOrDefault(), caller, input.ActionNames,
            input.ResourceArns, input.ResourcePolicy, input.ResourceOwner, input.CallerArn, input.ContextEntries,
            input.Marker, input.MaxItems));
    }

    private SimulatePolicyResponse Simulate(RequestContext context, List<SimulatedPolicy> identity, SimulatedPolicy? boundary,
        SimulationCaller caller, List<string>? actions, List<string>? resources, string? resourcePolicy, string? resourceOwner,
        string? callerArn, List<ContextEntry>? entries, string? marker, int? maxItems)
    {
        if (actions is not { Count: > 0 })
        {
            throw IamErrors.ValidationError(
                "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null");
        }

        if (resourcePolicy is not null && callerArn is null)
        {
            // "CallerArn is required if you include a ResourcePolicy" (SimulateCustomPolicy).
            throw IamErrors.InvalidInput("CallerArn must be specified when a ResourcePolicy is provided.");
        }

        var keys = new ConditionKeys();
        foreach (var e in entries ?? [])
        {
            if (string.IsNullOrEmpty(e.ContextKeyName))
            {
                throw IamErrors.InvalidInput("ContextKeyName must be specified for each context entry.");
            }

            keys.Set(e.ContextKeyName, [.. e.ContextKeyValues ?? []]);
        }

        string? resourceAccount = null;
        if (resourceOwner is not null)
        {
            resourceAccount = AccountIdPattern().Match(resourceOwner) is { Success: true } m
                ? m.Value
                : throw IamErrors.InvalidInput($"Invalid ResourceOwner {resourceOwner}.");
        }
        else if (resourcePolicy is not null)
        {
            resourceAccount = context.AccountId;
        }

        var simulator = new PolicySimulator(identity, boundary,
            resourcePolicy is null ? null : new SimulatedPolicy("ResourcePolicy", "resource", resourcePolicy));
        var results = simulator.Run(caller, actions, resources ?? [], keys, resourceAccount, context.ReceivedAt);
        var page = IamPage.Of(results, marker, maxItems);
        return new SimulatePolicyResponse
        {
            EvaluationResults = [.. page.Items.Select(r => new EvaluationResult
            {
                EvalActionName = r.Action,
                EvalResourceName = r.Resource,
                EvalDecision = r.Decision,
                MatchedStatements = Statements(r),
                MissingContextValues = [.. r.MissingContextValues],
                PermissionsBoundaryDecisionDetail = BoundaryDetail(r),
                // With ResourceArns, the per-resource detail as well (one resource per result here).
                ResourceSpecificResults = r.Resource == "*"
                    ? null
                    :
                    [
                        new ResourceSpecificResult
                        {
                            EvalResourceName = r.Resource,
                            EvalResourceDecision = r.Decision,
                            MatchedStatements = Statements(r),
                            MissingContextValues = [.. r.MissingContextValues],
                            PermissionsBoundaryDecisionDetail = BoundaryDetail(r),
                        },
                    ],
            })],
            IsTruncated = page.IsTruncated,
            Marker = page.Marker,
        };
    }

    private static List<Statement> Statements(SimulationResult r) =>
    [
        .. r.MatchedStatements.Select(s => new Statement
        {
            SourcePolicyId = s.SourcePolicyId,
            SourcePolicyType = s.SourcePolicyType,
            StartPosition = new Position { Line = s.StartLine, Column = s.StartColumn },
            EndPosition = new Position { Line = s.EndLine, Column = s.EndColumn },
        }),
    ];

    private static PermissionsBoundaryDecisionDetail? BoundaryDetail(SimulationResult r) =>
        r.AllowedByPermissionsBoundary is { } b ? new PermissionsBoundaryDecisionDetail { AllowedByPermissionsBoundary = b } : null;

    /// <summary>Input documents are named "PolicyInputList.1", "PolicyInputList.2"... (1-based), as
    /// the simulator's results identify them.</summary>
    private static List<SimulatedPolicy> Inputs(List<string>? documents, string member) =>
        [.. (documents ?? []).Select((d, i) => new SimulatedPolicy($"{member}.{i + 1}", null, d))];
}
