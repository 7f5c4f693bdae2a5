// Hugging Face `tokenizers` oracle for the byte-level BPE trainer: trains HF's BpeTrainer (its defaults: min
// frequency 0, no special tokens, the alphabet of the characters seen) with GPT-2's ByteLevel pre-tokenizer on
// fixtures/tokenizers/corpus.txt, and writes its merges and the tokens it encodes a few sentences to into
// fixtures/tokenizers/hf_bpe.json. BpeTrainerConformanceTests replays both.
// Run: npm install tokenizers@0.23.2 (HF's Node bindings, native code inside the npm package), then
//      NODE_PATH=<that node_modules> node tests/conformance/hf_bpe.js
const { Tokenizer, BPE, byteLevelPreTokenizer } = require('tokenizers');
const fs = require('fs');
const path = require('path');

const dir = path.join(__dirname, 'fixtures', 'tokenizers');
const samples = [
  'The jury said it\'s time: 12 people, 345 years.',
  '  naïve café — déjà vu in Zürich and São Paulo  ',
  '日本語 中文 한국어 😀👍🏽🇫🇷 e\u0301 a\u0308',
  // Only bytes the corpus holds: HF gives the others no id and drops them (we keep all 256 byte symbols).
  'words never seen: overworked tomorrow\n\ttabbed line',
];

(async () => {
  const tokenizer = new Tokenizer(BPE.empty());
  tokenizer.setPreTokenizer(byteLevelPreTokenizer(false, true));
  tokenizer.train([path.join(dir, 'corpus.txt')]);
  const tmp = path.join(dir, 'hf_tokenizer.tmp.json');
  tokenizer.save(tmp, false);
  const merges = JSON.parse(fs.readFileSync(tmp, 'utf8')).model.merges;
  fs.unlinkSync(tmp);
  const encoded = [];
  for (const text of samples) encoded.push({ text, tokens: (await tokenizer.encode(text)).getTokens() });
  const out = { tokenizers: require('tokenizers/package.json').version, merges, samples: encoded };
  fs.writeFileSync(path.join(dir, 'hf_bpe.json'), JSON.stringify(out) + '\n');
  console.log(`${merges.length} merges, ${encoded.length} samples`);
})();
