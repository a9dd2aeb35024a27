/** The live `RealtimeService.stats()` of the instance, pushed every second. */
export const STATS_CHANNEL = 'stats';
