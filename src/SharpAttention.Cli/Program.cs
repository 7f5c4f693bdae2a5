// The `attn` tool: train, evaluate, run and inspect attention models from the command line.
return SharpAttention.Cli.CliApp.Run(args, Console.Out, Console.Error);
