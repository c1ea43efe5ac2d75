from riveg_agent.cli import main

main()
