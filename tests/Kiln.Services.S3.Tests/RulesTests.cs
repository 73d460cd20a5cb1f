using Kiln.Services.S3.Domain;

namespace Kiln.Services.S3.Tests;

public sealed class RulesTests
{
    [Fact]
    public void NewIds_NeverStartWithADashOrUnderscore_AndStayValid()
    {
        // One id in 32 would start with '-' or '_' if drawn plainly: 5,000 of each make a miss certain.
        for (var i = 0; i < 5000; i++)
        {
            var version = Rules.NewVersionId();
            var upload = Rules.NewUploadId();

            Assert.True(char.IsAsciiLetterOrDigit(version[0]), version);
            Assert.True(char.IsAsciiLetterOrDigit(upload[0]), upload);
            Assert.Equal(32, version.Length);
            Rules.CheckVersionId(version);
        }
    }
}
