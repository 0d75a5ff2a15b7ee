using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace ViewingHistory.Server.Hosting;

/// <summary>
/// The people-facing pages in <c>wwwroot</c> (the member's viewing activity, the ops dashboard): plain files, no
/// build step. They are served from the output directory, not the content root, so the binary serves them wherever
/// it is started from.
/// </summary>
internal static class WebPages
{
    public static WebApplication UseWebPages(this WebApplication app)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (!Directory.Exists(root))
        {
            app.Logger.LogWarning("No web pages: {Root} does not exist.", root);
            return app;
        }

        // A middleware, not endpoints: routing ignores a trailing slash, so "/activity" as an endpoint would also
        // catch "/activity/" and redirect it to itself.
        app.Use((context, next) =>
        {
            var target = context.Request.Path.Value switch
            {
                "/" => "/activity/",
                "/activity" => "/activity/",
                "/ops" => "/ops/",
                _ => null,
            };
            if (target is not null && HttpMethods.IsGet(context.Request.Method))
            {
                context.Response.Redirect(target);
                return Task.CompletedTask;
            }

            return next(context);
        });

        var files = new PhysicalFileProvider(root);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            ContentTypeProvider = new FileExtensionContentTypeProvider(),
            OnPrepareResponse = context =>
            {
                // The pages hold a bearer credential in sessionStorage: allow no script, style or connection but
                // our own, and no framing.
                var headers = context.Context.Response.Headers;
                headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers.CacheControl = "no-cache";
            },
        });
        return app;
    }
}
