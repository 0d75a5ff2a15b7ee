using Microsoft.Extensions.Options;
using ViewingHistory.Pipeline.Processing;
using ViewingHistory.Store;

namespace ViewingHistory.Server.Configuration;

/// <summary>
/// Makes <see cref="ProcessorOptions"/> from a default that depends on the store, before the <c>Processor</c> section
/// binds over it: on SQLite one worker, because the file has one writer, so a second worker only splits each delivery
/// into two transactions that run one after the other, each paying its own commit (the SQLite writer's CPU per event at
/// 6,000 events/s of the realistic workload: 41.5-44.0 µs with two workers, 36.5-37.3 µs with one; benchmarks/NOTES.md).
/// Elsewhere the options' own default. <c>Processor:Workers</c>, when set, wins either way.
/// </summary>
internal sealed class ProcessorOptionsFactory(
    StoreKind store,
    IEnumerable<IConfigureOptions<ProcessorOptions>> setups,
    IEnumerable<IPostConfigureOptions<ProcessorOptions>> postConfigures,
    IEnumerable<IValidateOptions<ProcessorOptions>> validations)
    : OptionsFactory<ProcessorOptions>(setups, postConfigures, validations)
{
    protected override ProcessorOptions CreateInstance(string name) =>
        store == StoreKind.Sqlite ? new ProcessorOptions { Workers = 1 } : new ProcessorOptions();
}
