package remote

// Recorded answers in the formats of three servers, written from their
// documentation and observed output: llama.cpp's llama-server, Ollama's
// OpenAI-compatible /v1 and vLLM. Each event is one "data:" line; the
// servers separate events with a blank line.

// server is what one kind of server answers.
type server struct {
	name       string
	models     string   // GET /v1/models
	stream     []string // the data of each event of a streamed chat completion
	text       string   // the reply the stream carries
	stop       string   // Chapel's stop reason for its finish_reason
	prompt     int      // prompt tokens in its usage (0: none sent)
	completion int      // completion tokens in its usage
	cached     int      // cached prompt tokens it reports
	tokenize   string   // POST /tokenize body for any text ("" = 404)
	tokens     int      // the count that body says
	notFound   string   // the 404 body for an unknown model
	unauth     string   // the 401 body
	midError   string   // an error event sent in the middle of a stream
	props      string   // GET /props (llama-server), "" for a 404
	contextLen int      // the context Load finds for its model
}

var servers = []server{
	{
		name: "llama-server",
		models: `{"models":[{"name":"tiny.gguf","model":"tiny.gguf","type":"model"}],"object":"list",` +
			`"data":[{"id":"tiny.gguf","object":"model","created":1754523863,"owned_by":"llamacpp",` +
			`"meta":{"vocab_type":2,"n_vocab":32000,"n_ctx_train":2048,"n_embd":64,"n_params":260000,"size":1185728}}]}`,
		stream: []string{
			// role-only first chunk, content null
			`{"choices":[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}],"created":1754523863,"id":"chatcmpl-X6urH4f6","model":"tiny.gguf","system_fingerprint":"b6097-9515c613","object":"chat.completion.chunk"}`,
			`{"choices":[{"finish_reason":null,"index":0,"delta":{"content":"Once"}}],"created":1754523863,"id":"chatcmpl-X6urH4f6","model":"tiny.gguf","system_fingerprint":"b6097-9515c613","object":"chat.completion.chunk"}`,
			`{"choices":[{"finish_reason":null,"index":0,"delta":{"content":" upon"}}],"created":1754523863,"id":"chatcmpl-X6urH4f6","model":"tiny.gguf","system_fingerprint":"b6097-9515c613","object":"chat.completion.chunk"}`,
			`{"choices":[{"finish_reason":null,"index":0,"delta":{"content":" a time, é"}}],"created":1754523863,"id":"chatcmpl-X6urH4f6","model":"tiny.gguf","system_fingerprint":"b6097-9515c613","object":"chat.completion.chunk"}`,
			// the finish reason with an empty delta
			`{"choices":[{"finish_reason":"stop","index":0,"delta":{}}],"created":1754523863,"id":"chatcmpl-X6urH4f6","model":"tiny.gguf","system_fingerprint":"b6097-9515c613","object":"chat.completion.chunk"}`,
			// the usage chunk (include_usage): no choices, llama-server's timings
			`{"choices":[],"created":1754523863,"id":"chatcmpl-X6urH4f6","model":"tiny.gguf","system_fingerprint":"b6097-9515c613","object":"chat.completion.chunk",` +
				`"usage":{"completion_tokens":5,"prompt_tokens":12,"total_tokens":17},` +
				`"timings":{"cache_n":4,"prompt_n":8,"prompt_ms":18.2,"prompt_per_token_ms":2.27,"prompt_per_second":439.5,"predicted_n":5,"predicted_ms":25.0,"predicted_per_token_ms":5.0,"predicted_per_second":200.0}}`,
			`[DONE]`,
		},
		text: "Once upon a time, é", stop: "eog", prompt: 12, completion: 5, cached: 4,
		tokenize: `{"tokens":[9038,2501,263,931,29892]}`, tokens: 5,
		notFound: `{"error":{"code":404,"message":"model not found","type":"not_found_error"}}`,
		unauth:   `{"error":{"code":401,"message":"Invalid API Key","type":"authentication_error"}}`,
		midError: `{"error":{"code":500,"message":"context shift is disabled","type":"server_error"}}`,
		// Started with -c 1024: the context it runs with, below the
		// model's n_ctx_train of 2048 in its models list.
		props: `{"default_generation_settings":{"id":0,"id_task":-1,"n_ctx":1024,"speculative":false,"is_processing":false},` +
			`"total_slots":1,"model_path":"tiny.gguf","build_info":"b6097-9515c613"}`,
		contextLen: 1024,
	},
	{
		name: "ollama",
		models: `{"object":"list","data":[{"id":"qwen2.5:0.5b","object":"model","created":1730000000,"owned_by":"library"},` +
			`{"id":"llama3.2:1b","object":"model","created":1730000001,"owned_by":"library"}]}`,
		stream: []string{
			// Ollama repeats the role in every delta
			`{"id":"chatcmpl-768","object":"chat.completion.chunk","created":1744445346,"model":"qwen2.5:0.5b","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}`,
			`{"id":"chatcmpl-768","object":"chat.completion.chunk","created":1744445346,"model":"qwen2.5:0.5b","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":"lo"},"finish_reason":null}]}`,
			`{"id":"chatcmpl-768","object":"chat.completion.chunk","created":1744445346,"model":"qwen2.5:0.5b","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":" there"},"finish_reason":null}]}`,
			// the last content chunk: empty content, the finish reason
			`{"id":"chatcmpl-768","object":"chat.completion.chunk","created":1744445346,"model":"qwen2.5:0.5b","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":"length"}]}`,
			`{"id":"chatcmpl-768","object":"chat.completion.chunk","created":1744445346,"model":"qwen2.5:0.5b","system_fingerprint":"fp_ollama","choices":[],"usage":{"prompt_tokens":31,"completion_tokens":3,"total_tokens":34}}`,
			`[DONE]`,
		},
		text: "Hello there", stop: "length", prompt: 31, completion: 3,
		notFound: `{"error":{"message":"model \"qwen9\" not found, try pulling it first","type":"api_error","param":null,"code":null}}`,
		unauth:   `{"error":{"message":"unauthorized","type":"invalid_request_error","param":null,"code":null}}`,
		midError: `{"error":{"message":"an error was encountered while running the model: unexpected EOF","type":"api_error","param":null,"code":null}}`,
	},
	{
		name: "vllm",
		models: `{"object":"list","data":[{"id":"Qwen/Qwen2.5-0.5B-Instruct","object":"model","created":1735000000,"owned_by":"vllm",` +
			`"root":"Qwen/Qwen2.5-0.5B-Instruct","parent":null,"max_model_len":32768,"permission":[{"id":"modelperm-1","object":"model_permission","created":1735000000,"allow_create_engine":false}]}]}`,
		stream: []string{
			// role-only first chunk with empty content
			`{"id":"chatcmpl-5d2a","object":"chat.completion.chunk","created":1735000100,"model":"Qwen/Qwen2.5-0.5B-Instruct","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}`,
			`{"id":"chatcmpl-5d2a","object":"chat.completion.chunk","created":1735000100,"model":"Qwen/Qwen2.5-0.5B-Instruct","choices":[{"index":0,"delta":{"content":"Sure"},"logprobs":null,"finish_reason":null}],"usage":null}`,
			`{"id":"chatcmpl-5d2a","object":"chat.completion.chunk","created":1735000100,"model":"Qwen/Qwen2.5-0.5B-Instruct","choices":[{"index":0,"delta":{"content":"!"},"logprobs":null,"finish_reason":null}],"usage":null}`,
			`{"id":"chatcmpl-5d2a","object":"chat.completion.chunk","created":1735000100,"model":"Qwen/Qwen2.5-0.5B-Instruct","choices":[{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":"stop","stop_reason":null}],"usage":null}`,
			`{"id":"chatcmpl-5d2a","object":"chat.completion.chunk","created":1735000100,"model":"Qwen/Qwen2.5-0.5B-Instruct","choices":[],"usage":{"prompt_tokens":20,"total_tokens":22,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":16}}}`,
			`[DONE]`,
		},
		text: "Sure!", stop: "eog", prompt: 20, completion: 2, cached: 16,
		tokenize: `{"count":7,"max_model_len":32768,"tokens":[8525,11,1879,0,1,2,3],"token_strs":null}`, tokens: 7,
		notFound:   `{"object":"error","message":"The model ` + "`qwen9`" + ` does not exist.","type":"NotFoundError","param":null,"code":404}`,
		unauth:     `{"error":"Unauthorized"}`,
		midError:   `{"error":{"object":"error","message":"This model's maximum context length is 32768 tokens","type":"BadRequestError","param":null,"code":400}}`,
		contextLen: 32768,
	},
}
