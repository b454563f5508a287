import type { UpstreamSpec } from '../../scenario/schema.js';
import type { UpstreamModel } from '../model.js';
import { mailerModel } from './mailer.js';
import { resourceModel } from './resource.js';

/** Builds the model a scenario's upstream entry names. */
export function createModel(spec: UpstreamSpec): UpstreamModel {
  switch (spec.model) {
    case 'resource':
      return resourceModel(spec);
    case 'mailer':
      return mailerModel(spec);
  }
}
