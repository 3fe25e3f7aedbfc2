// The short sentences both micro-benchmarks send (~10 words each); the bench scripts build their
// longer and mixed workloads from them deterministically.
export const SHORT = [
  'The quick brown fox jumps over the lazy dog near the river.',
  'Serving models fast is mostly about avoiding idle time on accelerators.',
  'Please book a table for two at seven tonight, thanks!',
  'The train to the airport leaves every twenty minutes from platform four.',
  'My laptop battery drains much faster since the last software update.',
  'Is this restaurant open on public holidays and late on Sundays?',
  'She planted tomatoes, basil and peppers in the garden this spring.',
  'Tokenization splits unaffordable words into smaller pieces for the model.',
  'Our quarterly revenue grew 12% while operating costs stayed flat.',
  'Remember to back up your files before upgrading the operating system.',
  'The conference keynote covered transformers, quantization and batching strategies.',
  'Heavy rain is expected tomorrow, so bring an umbrella to work.',
  "I can't believe the museum was closed for renovations again today.",
  'Customers reported intermittent latency spikes during the evening peak hours.',
  'The recipe calls for two cups of flour and three eggs.',
  'Batch inference amortizes kernel launches across many concurrent user requests.',
];
