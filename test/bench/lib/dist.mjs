// The built harness (npm run bench builds first): the modules the figures drive.
const dist = new URL('../../../dist/', import.meta.url);
const load = (file) => import(new URL(file, dist).href);

export async function loadDist() {
  const [scenario, explore, arbitrary, session, ledger, recorder, pipeline, loopback, resource, schedule, settle] = await Promise.all([
    load('scenario/load.js'),
    load('explore/explore.js'),
    load('explore/arbitrary.js'),
    load('runner/run-session.js'),
    load('ledger/ledger.js'),
    load('runner/recorder.js'),
    load('upstream/pipeline.js'),
    load('upstream/loopback-server.js'),
    load('upstream/models/resource.js'),
    load('core/schedule.js'),
    load('runner/settle.js'),
  ]);
  return {
    loadScenario: scenario.loadScenario,
    exploreScenario: explore.exploreScenario,
    scheduleArbitrary: arbitrary.scheduleArbitrary,
    scheduleSpace: arbitrary.scheduleSpace,
    openRunSession: session.openRunSession,
    Ledger: ledger.Ledger,
    CaseRecorder: recorder.CaseRecorder,
    UpstreamPipeline: pipeline.UpstreamPipeline,
    startLoopbackServer: loopback.startLoopbackServer,
    resourceModel: resource.resourceModel,
    bindingFor: schedule.bindingFor,
    settleSettings: settle.settleSettings,
  };
}
