namespace ViewingHistory.Benchmarks.Harness;

/// <summary>ScottPlot line charts saved as PNGs next to RESULTS.md.</summary>
public static class Plots
{
    public static void Lines(string path, string title, string xLabel, string yLabel, IReadOnlyList<(string Name, List<(double X, double Y)> Points)> series)
    {
        var plot = new ScottPlot.Plot();
        foreach (var (name, points) in series)
        {
            if (points.Count == 0)
            {
                continue;
            }

            var scatter = plot.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray());
            scatter.LegendText = name;
        }

        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend();
        plot.SavePng(path, 900, 500);
    }
}
