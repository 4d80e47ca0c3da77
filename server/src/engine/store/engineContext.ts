import { CancelToken, ProgressSink } from '../util/progress';
import { Store } from './store';

/** What every engine operation is given: the store it records in, and how it may run and report. */
export interface EngineContext {
  store: Store;
  parallelism?: number;
  progress?: ProgressSink;
  /** Honoured until the first pin ref is written; after that the step or campaign is completed. */
  cancel?: CancelToken;
}
