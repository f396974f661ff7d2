// Jest setup for every test file: a property check (its runs and, after a
// failure, its shrinking) stops after two minutes and counts as failed, so that
// a slow failing case fails CI with its counterexample instead of shrinking for
// as long as CI allows. The longest property checks here take a few seconds.
import fc from 'fast-check';

fc.configureGlobal({ ...fc.readConfigureGlobal(), interruptAfterTimeLimit: 120_000, markInterruptAsFailure: true });
